// Every 30 minutes. Pulls the Jira status of remediation issues linked to security incidents.
var jira = new x_acme_integ.JiraConnector();
var inc = new GlideRecord('x_acme_secops_incident');
inc.addActiveQuery();
inc.addNotNullQuery('external_reference');
inc.addQuery('external_reference', 'STARTSWITH', gs.getProperty('x_acme_secops.jira_project', 'SEC') + '-');
inc.query();

while (inc.next()) {
    var status = jira.getIssueStatus(inc.getValue('external_reference'));
    if (!status)
        continue;
    if (status.status == inc.getValue('external_status'))
        continue;
    inc.setValue('external_status', status.status);
    inc.work_notes = 'Jira ' + inc.getValue('external_reference') + ' is now ' + status.status +
        (status.assignee ? ' (assignee ' + status.assignee + ')' : '');
    if (status.status == 'Done' && inc.getValue('state') == 'remediation')
        inc.setValue('state', 'review');
    inc.update();
}

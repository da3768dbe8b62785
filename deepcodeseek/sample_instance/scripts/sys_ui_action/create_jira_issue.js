// "Create Jira Issue" on Security Incident, for remediation work owned by engineering
if (!current.external_reference.nil()) {
    gs.addInfoMessage('Already linked to ' + current.getValue('external_reference'));
} else {
    var jira = new x_acme_integ.JiraConnector();
    var description = current.getValue('description') + '\n\nServiceNow: ' + current.getValue('number') +
        '\nSeverity: ' + current.getDisplayValue('severity');
    var key = jira.createIssue(gs.getProperty('x_acme_secops.jira_project', 'SEC'), current.getValue('short_description'),
        description, current.getValue('severity'));
    if (key) {
        jira.linkRecord(current, key);
        gs.addInfoMessage('Jira issue ' + key + ' created');
    } else {
        gs.addErrorMessage('Jira issue could not be created. Check the jira_cloud integration log.');
    }
}
action.setRedirectURL(current);

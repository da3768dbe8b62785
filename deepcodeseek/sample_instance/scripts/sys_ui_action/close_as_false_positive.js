// "Close as False Positive" on Security Incident
var notes = current.getValue('close_notes');
if (!notes || notes.length < 20) {
    gs.addErrorMessage('Explain why this is a false positive (at least 20 characters)');
    action.setRedirectURL(current);
} else {
    var utils = new SecurityIncidentUtils();
    if (utils.closeAsFalsePositive(current.getUniqueValue(), notes)) {
        // feed the tuning backlog for the SIEM rule
        var tuning = new GlideRecord('x_acme_secops_rule_tuning');
        tuning.initialize();
        tuning.setValue('rule_name', current.getValue('short_description').split(' on ')[0]);
        tuning.setValue('incident', current.getUniqueValue());
        tuning.insert();
        gs.addInfoMessage('Closed as false positive; rule tuning item created');
    }
    action.setRedirectURL(current);
}

// Form button "Escalate" on HR Case (server side)
var reason = current.getValue('escalation_reason');
if (!reason) {
    gs.addErrorMessage('Fill in the escalation reason before escalating');
    action.setRedirectURL(current);
} else {
    var caseUtils = new HRCaseUtils();
    if (caseUtils.escalateCase(current, reason)) {
        gs.addInfoMessage('Case ' + current.getValue('number') + ' escalated to ' +
            gs.getProperty('x_acme_hr.escalation_group', 'HR Tier 2'));
    } else {
        gs.addInfoMessage('Case ' + current.getValue('number') + ' was already escalated');
    }
    action.setRedirectURL(current);
}

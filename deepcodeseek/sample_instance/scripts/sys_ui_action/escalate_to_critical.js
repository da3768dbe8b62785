// "Escalate to Critical" on Security Incident (SOC lead only)
var justification = current.getValue('escalation_justification');
if (!justification) {
    gs.addErrorMessage('A justification is required to escalate to critical');
    action.setRedirectURL(current);
} else {
    var incidentUtils = new SecurityIncidentUtils();
    if (incidentUtils.escalateToCritical(current, justification)) {
        var summary = current.getValue('number') + ': ' + current.getValue('short_description') +
            ' (risk ' + incidentUtils.calculateRiskScore(current) + ')';
        new SecOpsNotificationHelper().notifyCISO(current, summary);
        gs.addInfoMessage('Incident escalated to critical; CISO briefed');
    }
    action.setRedirectURL(current);
}

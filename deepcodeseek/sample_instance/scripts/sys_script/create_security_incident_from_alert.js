(function executeRule(current, previous /*null when async*/) {

    // Informational alerts are kept for correlation only
    var minSeverity = parseInt(gs.getProperty('x_acme_secops.alert_min_severity', '3'), 10);
    if (parseInt(current.getValue('severity'), 10) > minSeverity)
        return;

    if (current.getValue('suppressed') == '1')
        return;

    var incidentUtils = new SecurityIncidentUtils();
    var incidentId = incidentUtils.createFromAlert(current);
    if (!incidentId) {
        gs.error('Could not create security incident for alert ' + current.getValue('number'));
        return;
    }
    gs.info('Alert ' + current.getValue('number') + ' linked to security incident ' + incidentId);

})(current, previous);

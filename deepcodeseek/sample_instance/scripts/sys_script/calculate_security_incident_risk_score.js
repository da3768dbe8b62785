(function executeRule(current, previous /*null when async*/) {

    if (!current.isNewRecord() && !current.severity.changes() && !current.state.changes())
        return;

    var utils = new SecurityIncidentUtils();
    var score = utils.calculateRiskScore(current);
    current.setValue('risk_score', score);

    if (score >= 80)
        current.setValue('risk_rating', 'critical');
    else if (score >= 50)
        current.setValue('risk_rating', 'high');
    else if (score >= 25)
        current.setValue('risk_rating', 'medium');
    else
        current.setValue('risk_rating', 'low');

})(current, previous);

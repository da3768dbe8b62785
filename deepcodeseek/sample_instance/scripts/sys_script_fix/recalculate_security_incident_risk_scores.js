// One-off after the risk model change (asset criticality weight 10 -> 15).
var utils = new SecurityIncidentUtils();
var changed = 0, total = 0;

var inc = new GlideRecord('x_acme_secops_incident');
inc.addActiveQuery();
inc.query();
while (inc.next()) {
    total++;
    var score = utils.calculateRiskScore(inc);
    if (String(score) == inc.getValue('risk_score'))
        continue;
    inc.setValue('risk_score', score);
    inc.setWorkflow(false);
    inc.update();
    changed++;
}
gs.info('Risk score recalculated: ' + changed + ' of ' + total + ' open incident(s) changed');

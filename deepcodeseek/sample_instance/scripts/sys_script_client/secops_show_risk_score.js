function onLoad() {
    if (g_form.isNewRecord())
        return;

    var ga = new GlideAjax('x_acme_secops.SecOpsAjax');
    ga.addParam('sysparm_name', 'getRiskScore');
    ga.addParam('sysparm_incident_id', g_form.getUniqueValue());
    ga.getXMLAnswer(function(answer) {
        var score = parseInt(answer, 10);
        if (isNaN(score))
            return;
        var stored = parseInt(g_form.getValue('risk_score'), 10);
        if (score != stored)
            g_form.addInfoMessage('Current risk score is ' + score + ' (stored ' + stored + '); it will update on save');
        if (score >= 80)
            g_form.flash('risk_score', '#ff0000', 0);
    });
}

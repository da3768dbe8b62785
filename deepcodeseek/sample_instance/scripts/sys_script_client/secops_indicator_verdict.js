function onChange(control, oldValue, newValue, isLoading, isTemplate) {
    if (isLoading || newValue === '' || newValue == oldValue)
        return;

    g_form.hideFieldMsg('value', true);
    g_form.showFieldMsg('value', 'Checking threat intel...', 'info');

    var ga = new GlideAjax('x_acme_secops.SecOpsAjax');
    ga.addParam('sysparm_name', 'getIndicatorVerdict');
    ga.addParam('sysparm_indicator', newValue);
    ga.getXMLAnswer(function(answer) {
        var res = JSON.parse(answer);
        g_form.hideFieldMsg('value', true);
        g_form.setValue('type', res.type || '');
        var level = res.verdict == 'malicious' ? 'error' : 'info';
        g_form.showFieldMsg('value', 'Verdict: ' + res.verdict + ' (score ' + (res.score || 0) + ', ' + res.source + ')', level);
    });
}

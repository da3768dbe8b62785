function onLoad() {
    var endpoint = g_form.getValue('name');
    if (!endpoint || g_form.isNewRecord())
        return;

    var ga = new GlideAjax('x_acme_integ.IntegrationStatusAjax');
    ga.addParam('sysparm_name', 'getLastSyncStatus');
    ga.addParam('sysparm_endpoint', endpoint);
    ga.getXMLAnswer(function(answer) {
        var s = JSON.parse(answer);
        var msg = 'Last success: ' + (s.last_success || 'never');
        if (s.last_failure)
            msg += ' | Last failure: ' + s.last_failure + ' (' + s.last_error + ')';
        g_form.addInfoMessage(msg);
    });

    var depth = new GlideAjax('x_acme_integ.IntegrationStatusAjax');
    depth.addParam('sysparm_name', 'getQueueDepth');
    depth.addParam('sysparm_endpoint', endpoint);
    depth.getXMLAnswer(function(count) {
        if (parseInt(count, 10) > 100)
            g_form.addErrorMessage(count + ' messages waiting in the outbound queue for this endpoint');
    });
}

function onChange(control, oldValue, newValue, isLoading, isTemplate) {
    if (isLoading || newValue === '')
        return;

    var limit = parseInt(g_scratchpad.maxAssetsPerUser || '4', 10);
    var ga = new GlideAjax('x_acme_itam.AssetAjax');
    ga.addParam('sysparm_name', 'getUserAssetCount');
    ga.addParam('sysparm_user_id', newValue);
    ga.getXMLAnswer(function(answer) {
        var count = parseInt(answer, 10);
        g_form.hideFieldMsg('assigned_to');
        if (count >= limit)
            g_form.showFieldMsg('assigned_to', 'User already has ' + count + ' assets assigned (policy limit ' + limit + ')', 'error');
    });
}

function onChange(control, oldValue, newValue, isLoading, isTemplate) {
    if (isLoading)
        return;
    g_form.clearOptions('preferred_model');
    if (newValue === '')
        return;

    var ga = new GlideAjax('x_acme_itam.AssetAjax');
    ga.addParam('sysparm_name', 'getAvailableModels');
    ga.addParam('sysparm_category', newValue);
    ga.getXMLAnswer(function(answer) {
        var models = JSON.parse(answer || '[]');
        g_form.addOption('preferred_model', '', '-- No preference --');
        for (var i = 0; i < models.length; i++)
            g_form.addOption('preferred_model', models[i].sys_id, models[i].name + ' (' + models[i].in_stock + ' in stock)');
        if (!models.length)
            g_form.showFieldMsg('model_category', 'Nothing in stock for this category; expect a longer lead time', 'info');
    });
}

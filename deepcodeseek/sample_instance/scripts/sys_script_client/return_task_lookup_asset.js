function onChange(control, oldValue, newValue, isLoading, isTemplate) {
    if (isLoading || newValue === '')
        return;

    // Technician scans the tag on the returned device
    var ga = new GlideAjax('x_acme_itam.AssetAjax');
    ga.addParam('sysparm_name', 'getAssetDetails');
    ga.addParam('sysparm_asset_tag', newValue);
    ga.getXMLAnswer(function(answer) {
        var asset = JSON.parse(answer);
        if (!asset.found) {
            g_form.showFieldMsg('scanned_tag', 'No asset with this tag', 'error');
            g_form.clearValue('asset');
            return;
        }
        g_form.setValue('asset', asset.sys_id);
        g_form.setValue('model_display', asset.model);
        if (asset.assigned_to)
            g_form.showFieldMsg('scanned_tag', 'Currently assigned to ' + asset.assigned_to, 'info');
    });
}

function onChange(control, oldValue, newValue, isLoading, isTemplate) {
    if (isLoading || newValue === '' || newValue == oldValue)
        return;

    g_form.setValue('asset_tag', newValue.toUpperCase());
    var ga = new GlideAjax('x_acme_itam.AssetAjax');
    ga.addParam('sysparm_name', 'validateTag');
    ga.addParam('sysparm_asset_tag', newValue);
    ga.addParam('sysparm_sys_id', g_form.getUniqueValue());
    ga.getXMLAnswer(function(result) {
        g_form.hideFieldMsg('asset_tag', true);
        if (result == 'invalid')
            g_form.showFieldMsg('asset_tag', 'Tag must look like ACME-HW-000127 (last digit is a check digit)', 'error');
        else if (result == 'duplicate')
            g_form.showFieldMsg('asset_tag', 'This tag is already used by another asset', 'error');
    });
}

// One-off: list hardware whose tag does not pass the new check-digit rule.
var invalid = [];
var asset = new GlideRecord('alm_hardware');
asset.addNotNullQuery('asset_tag');
asset.addQuery('install_status', '!=', 7);
asset.query();

while (asset.next()) {
    var tag = asset.getValue('asset_tag');
    if (!validateAssetTag(tag)) {
        invalid.push(tag + ' (' + asset.getDisplayValue('model') + ', ' + asset.getDisplayValue('location') + ')');
        asset.setValue('u_tag_needs_review', true);
        asset.setWorkflow(false);
        asset.update();
    }
}

gs.info(invalid.length + ' asset(s) with invalid tags:\n' + invalid.join('\n'));

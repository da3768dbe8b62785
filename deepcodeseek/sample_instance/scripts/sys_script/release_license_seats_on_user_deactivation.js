(function executeRule(current, previous /*null when async*/) {

    if (current.active || !previous.active)
        return;

    var released = new SoftwareLicenseService().releaseSeatsForUser(current.getUniqueValue());

    // Hardware still assigned to the leaver needs to come back to stock
    var assets = new AssetUtils().getAssetsForUser(current.getUniqueValue());
    for (var i = 0; i < assets.length; i++) {
        var ret = new GlideRecord('x_acme_itam_return_task');
        ret.initialize();
        ret.setValue('asset', assets[i].sys_id);
        ret.setValue('returned_by', current.getUniqueValue());
        ret.setValue('short_description', 'Collect ' + assets[i].category + ' ' + assets[i].asset_tag + ' from leaver');
        ret.insert();
    }

    gs.info('Deactivated user ' + current.getValue('user_name') + ': ' + released + ' license seat(s) released, ' +
        assets.length + ' return task(s) created');

})(current, previous);

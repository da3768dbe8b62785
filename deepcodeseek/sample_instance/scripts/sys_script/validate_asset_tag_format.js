(function executeRule(current, previous /*null when async*/) {

    if (current.asset_tag.nil()) {
        // Tags are mandatory for deployable hardware only
        if (current.getValue('install_status') == '1') {
            gs.addErrorMessage('An asset tag is required before hardware can be put in use');
            current.setAbortAction(true);
        }
        return;
    }

    var tag = current.getValue('asset_tag').trim().toUpperCase();
    if (!validateAssetTag(tag)) {
        gs.addErrorMessage('Asset tag ' + tag + ' is not valid. Expected ACME-HW-nnnnnn with a valid check digit.');
        current.setAbortAction(true);
        return;
    }
    current.setValue('asset_tag', tag);

})(current, previous);

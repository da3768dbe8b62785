(function executeRule(current, previous /*null when async*/) {

    // Runs when a technician picks the asset on an approved request
    if (current.asset.nil() || current.getValue('state') != 'approved')
        return;

    var service = new AssetRequestService();
    var fulfilled = service.fulfillRequest(current.getUniqueValue(), current.getValue('asset'));
    if (!fulfilled) {
        gs.addErrorMessage('Asset ' + current.asset.getDisplayValue() + ' could not be assigned. Check that it is in stock.');
        return;
    }

    var utils = new AssetUtils();
    var count = utils.getAssetsForUser(current.getValue('requested_for')).length;
    gs.addInfoMessage(current.requested_for.getDisplayValue() + ' now has ' + count + ' asset(s) assigned');

})(current, previous);

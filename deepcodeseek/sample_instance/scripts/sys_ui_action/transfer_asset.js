// "Transfer" on Hardware; the new user is picked in the u_transfer_to field
var toUser = current.getValue('u_transfer_to');
var fromUser = current.getValue('assigned_to');

if (!toUser) {
    gs.addErrorMessage('Select the user to transfer to');
} else if (toUser == fromUser) {
    gs.addErrorMessage('The asset is already assigned to that user');
} else {
    var assetUtils = new AssetUtils();
    if (assetUtils.transferAsset(current.getUniqueValue(), fromUser, toUser)) {
        current.setValue('u_transfer_to', '');
        current.update();
        gs.addInfoMessage(current.getValue('asset_tag') + ' transferred to ' + current.getDisplayValue('assigned_to'));
    } else {
        gs.addErrorMessage('Transfer failed');
    }
}
action.setRedirectURL(current);

// "Retire" button on Hardware; requires x_acme_itam.asset_admin
if (!current.assigned_to.nil()) {
    gs.addErrorMessage('Unassign ' + current.getValue('asset_tag') + ' before retiring it');
    action.setRedirectURL(current);
} else {
    var utils = new AssetUtils();
    var bookValue = utils.getDepreciatedValue(current);
    if (utils.retireAsset(current.getUniqueValue(), current.getValue('disposal_reason'))) {
        gs.addInfoMessage('Asset retired. Remaining book value written off: ' + bookValue.toFixed(2) + ' ' +
            gs.getProperty('x_acme_itam.currency', 'USD'));
    } else {
        gs.addErrorMessage('Asset cannot be retired from state ' + current.getDisplayValue('install_status'));
    }
    action.setRedirectURL(current);
}

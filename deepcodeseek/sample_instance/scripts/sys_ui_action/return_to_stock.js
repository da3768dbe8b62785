// "Return to Stock" on Hardware
var stockroom = current.getValue('stockroom');
if (!stockroom) {
    // default stockroom of the asset's location
    var room = new GlideRecord('alm_stockroom');
    room.addQuery('location', current.getValue('location'));
    room.setLimit(1);
    room.query();
    if (room.next())
        stockroom = room.getUniqueValue();
}

if (!stockroom) {
    gs.addErrorMessage('No stockroom found for ' + current.getDisplayValue('location'));
} else {
    var lifecycle = new HardwareLifecycleManager(current);
    if (lifecycle.markInStock(stockroom))
        gs.addInfoMessage(current.getValue('asset_tag') + ' is back in stock');
    else
        gs.addErrorMessage('Cannot return to stock from ' + current.getDisplayValue('install_status'));
}
action.setRedirectURL(current);

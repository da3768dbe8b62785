// "Send to Repair" on Hardware; vendor comes from the model's default repair vendor
var vendorName = current.model.u_repair_vendor.getDisplayValue() || gs.getProperty('x_acme_itam.default_repair_vendor');
var lifecycle = new HardwareLifecycleManager(current);

if (!lifecycle.isUnderWarranty())
    gs.addInfoMessage('Warranty expired on ' + current.getDisplayValue('warranty_expiration') + '; repair will be charged');

var repairId = lifecycle.sendToRepair(vendorName, current.getValue('u_rma_number'));
if (repairId) {
    gs.addInfoMessage('Repair record created for ' + current.getValue('asset_tag'));
    action.setRedirectURL('x_acme_itam_repair.do?sys_id=' + repairId);
} else {
    gs.addErrorMessage('Could not send the asset to repair from its current state');
    action.setRedirectURL(current);
}

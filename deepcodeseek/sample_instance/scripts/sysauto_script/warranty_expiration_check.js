// Daily. Warns asset managers about warranties expiring in the next 30 days.
var notifier = new global.AcmeNotificationHelper();
var warnDays = parseInt(gs.getProperty('x_acme_itam.warranty_warn_days', '30'), 10);
var horizon = new GlideDateTime();
horizon.addDaysUTC(warnDays);

var asset = new GlideRecord('alm_hardware');
asset.addQuery('install_status', 'IN', '1,6');
asset.addQuery('warranty_expiration', '>=', new GlideDateTime().getDate());
asset.addQuery('warranty_expiration', '<=', horizon.getDate());
asset.addQuery('u_warranty_notified', false);
asset.query();

var count = 0;
while (asset.next()) {
    var lifecycle = new HardwareLifecycleManager(asset);
    var daysLeft = lifecycle.getWarrantyDaysLeft();
    var recipient = asset.getValue('managed_by') || gs.getProperty('x_acme_itam.asset_manager');
    if (notifier.sendToUser(recipient, 'x_acme_itam.warranty.expiring', asset, String(daysLeft))) {
        asset.setValue('u_warranty_notified', true);
        asset.update();
        count++;
    }
}
gs.info('Warranty expiration check: ' + count + ' notification(s) queued');

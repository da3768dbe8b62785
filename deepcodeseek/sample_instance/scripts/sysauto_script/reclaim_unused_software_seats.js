// Weekly. Reclaims seats on licenses flagged for automatic harvesting.
var licenses = new SoftwareLicenseService();
var defaultDays = parseInt(gs.getProperty('x_acme_itam.reclaim_after_days', '90'), 10);
var totalReclaimed = 0;

var lic = new GlideRecord('x_acme_itam_software_license');
lic.addActiveQuery();
lic.addQuery('auto_reclaim', true);
lic.query();
while (lic.next()) {
    var days = parseInt(lic.getValue('reclaim_after_days'), 10) || defaultDays;
    var reclaimed = licenses.reclaimUnusedSeats(lic.getUniqueValue(), days);
    if (reclaimed > 0) {
        gs.info('Reclaimed ' + reclaimed + ' seat(s) of ' + lic.getValue('product_name') +
            '; now ' + licenses.getAvailableSeats(lic.getUniqueValue()) + ' available');
        totalReclaimed += reclaimed;
    }
}
gs.info('Seat reclamation finished: ' + totalReclaimed + ' seat(s)');

(function executeRule(current, previous /*null when async*/) {

    var licenses = new SoftwareLicenseService();
    var available = licenses.getAvailableSeats(current.getValue('license'));

    if (available > 0)
        return;

    var license = current.license.getRefRecord();
    if (license.getValue('allow_overallocation') == '1') {
        gs.addInfoMessage('License ' + license.getValue('product_name') + ' is over-allocated; true-up will be required');
        current.setValue('over_allocated', true);
        return;
    }

    gs.addErrorMessage('No seats left on ' + license.getValue('product_name') + '. Reclaim a seat or order more.');
    current.setAbortAction(true);

})(current, previous);

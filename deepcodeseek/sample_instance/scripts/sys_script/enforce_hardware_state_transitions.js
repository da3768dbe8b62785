(function executeRule(current, previous /*null when async*/) {

    var from = previous.getValue('install_status');
    var to = current.getValue('install_status');
    if (from == to)
        return;

    // Asset admins may force any transition (data clean-up)
    if (gs.hasRole('x_acme_itam.asset_admin') && current.getValue('force_state_change') == '1') {
        current.setValue('force_state_change', false);
        return;
    }

    var lifecycle = new AssetLifecycleBase(current);
    if (!lifecycle.canTransition(from, to)) {
        gs.addErrorMessage('Cannot move ' + current.getValue('asset_tag') + ' from ' +
            previous.getDisplayValue('install_status') + ' to ' + current.getDisplayValue('install_status'));
        current.setAbortAction(true);
    }

})(current, previous);

(function executeRule(current, previous /*null when async*/) {

    if (current.getValue('priority') != '1' || current.getValue('u_vip_caller') != '1')
        return;

    var notifier = new AcmeNotificationHelper();

    // Exec support managers are informed even during quiet hours for P1s
    notifier.notifyManager(current.getValue('caller_id'), 'acme.incident.vip_p1', current);
    notifier.sendToGroup('Executive Support Managers', 'acme.incident.vip_p1', current,
        current.getDisplayValue('caller_id'));

})(current, previous);

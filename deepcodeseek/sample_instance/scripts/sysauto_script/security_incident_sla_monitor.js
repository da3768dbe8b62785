// Every 5 minutes. Escalates security incidents nobody has acknowledged in time.
var policy = new SecOpsSLAPolicy();
var notifier = new SecOpsNotificationHelper();

var inc = new GlideRecord('x_acme_secops_incident');
inc.addActiveQuery();
inc.addNullQuery('acknowledged_on');
inc.query();
while (inc.next()) {
    if (!policy.isResponseOverdue(inc))
        continue;

    var level = policy.getEscalationLevel(inc);
    if (level <= parseInt(inc.getValue('escalation_level'), 10))
        continue; // already escalated to this level

    inc.setValue('escalation_level', level);
    inc.work_notes = 'Response SLA missed; escalation level ' + level;
    inc.update();

    if (level >= 3)
        notifier.notifyCISO(inc, 'Unacknowledged severity ' + inc.getValue('severity') + ' incident ' + inc.getValue('number'));
    else
        notifier.notifyOnCallAnalyst(inc);
}

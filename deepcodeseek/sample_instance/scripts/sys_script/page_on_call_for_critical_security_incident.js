(function executeRule(current, previous /*null when async*/) {

    var becameCritical = current.getValue('severity') == '1' &&
        (current.operation() == 'insert' || previous.getValue('severity') != '1');
    if (!becameCritical)
        return;

    var notifier = new SecOpsNotificationHelper();
    var analyst = notifier.notifyOnCallAnalyst(current);

    var minutes = new SecOpsSLAPolicy().getResponseWindowMinutes(1);
    var ackBy = new GlideDateTime();
    ackBy.addSeconds(minutes * 60);
    current.setValue('ack_due', ackBy);
    if (analyst && current.assigned_to.nil())
        current.setValue('assigned_to', analyst);
    current.work_notes = 'On-call paged; acknowledgement due within ' + minutes + ' minutes';
    current.setWorkflow(false);
    current.update();

})(current, previous);

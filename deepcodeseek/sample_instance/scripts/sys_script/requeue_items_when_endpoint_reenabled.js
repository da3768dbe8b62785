(function executeRule(current, previous /*null when async*/) {

    // When an endpoint is switched back on after an outage, send what failed meanwhile
    if (!current.active || previous.active)
        return;

    var processor = new IntegrationQueueProcessor();
    var count = processor.requeueFailed(0, current.getValue('name'));

    if (count > 0)
        gs.addInfoMessage(count + ' failed message(s) for ' + current.getValue('name') + ' were put back on the queue');
    current.setValue('last_reenabled_on', new GlideDateTime());
    current.setWorkflow(false);
    current.update();

})(current, previous);

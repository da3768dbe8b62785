// Every 4 hours. Gives failed outbound messages another chance after an outage window.
var maxAgeHours = parseInt(gs.getProperty('x_acme_integ.requeue.max_age_hours', '48'), 10);
var processor = new IntegrationQueueProcessor();

var endpoint = new GlideRecord('x_acme_integ_endpoint');
endpoint.addActiveQuery();
endpoint.addQuery('auto_requeue', true);
endpoint.query();
while (endpoint.next()) {
    var count = processor.requeueFailed(60, endpoint.getValue('name'));
    if (count)
        gs.info('Requeued ' + count + ' failed message(s) for ' + endpoint.getValue('name'));
}

// Anything older than the max age is abandoned for manual follow-up
var cutoff = new GlideDateTime();
cutoff.addSeconds(-maxAgeHours * 3600);
var old = new GlideRecord('x_acme_integ_outbound_queue');
old.addQuery('state', 'failed');
old.addQuery('sys_created_on', '<', cutoff);
old.setValue('state', 'abandoned');
old.updateMultiple();

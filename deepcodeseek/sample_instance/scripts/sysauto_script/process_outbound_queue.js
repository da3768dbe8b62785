// Every minute. Sends pending outbound integration messages.
var processor = new IntegrationQueueProcessor();
var batch = parseInt(gs.getProperty('x_acme_integ.queue.batch_size', '50'), 10);
var started = new GlideDateTime().getNumericValue();

var stats = processor.processPending(batch);

var elapsed = new GlideDateTime().getNumericValue() - started;
if (stats.failed > 0 || elapsed > 45000)
    gs.warn('Outbound queue: sent=' + stats.sent + ' retrying=' + stats.retrying + ' failed=' + stats.failed + ' in ' + elapsed + ' ms');
else
    gs.debug('Outbound queue: sent=' + stats.sent + ' retrying=' + stats.retrying);

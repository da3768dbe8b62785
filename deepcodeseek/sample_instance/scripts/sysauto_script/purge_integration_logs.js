// Nightly 02:00. Keeps the integration log table small.
var retentionDays = parseInt(gs.getProperty('x_acme_integ.log.retention_days', '30'), 10);
if (retentionDays < 7) {
    gs.warn('x_acme_integ.log.retention_days is below 7; using 7');
    retentionDays = 7;
}

var before = new GlideAggregate('x_acme_integ_log');
before.addAggregate('COUNT');
before.query();
var rowsBefore = before.next() ? parseInt(before.getAggregate('COUNT'), 10) : 0;

var logger = new IntegrationLogger('housekeeping');
var deleted = logger.purgeOlderThan(retentionDays);

gs.info('Integration log purge removed ' + deleted + ' of ' + rowsBefore + ' row(s) older than ' +
    retentionDays + ' days (failed rows kept ' + (2 * retentionDays) + ' days)');

var IntegrationLogger = Class.create();
IntegrationLogger.prototype = {
    initialize: function(endpointName) {
        this.endpointName = endpointName || 'unknown';
        this.maxBodyChars = parseInt(gs.getProperty('x_acme_integ.log.max_body_chars', '4000'), 10);
        this.logBodies = gs.getProperty('x_acme_integ.log.bodies', 'true') == 'true';
    },

    /**
     * @returns {string} sys_id of the x_acme_integ_log row
     */
    logRequest: function(method, url, body, correlationId) {
        var log = new GlideRecord('x_acme_integ_log');
        log.initialize();
        log.setValue('endpoint', this.endpointName);
        log.setValue('method', method);
        log.setValue('url', url);
        log.setValue('correlation_id', correlationId);
        if (this.logBodies && body)
            log.setValue('request_body', this._truncate(typeof body == 'string' ? body : JSON.stringify(body)));
        log.setValue('state', 'sent');
        return log.insert();
    },

    logResponse: function(logSysId, status, body, durationMs) {
        var log = new GlideRecord('x_acme_integ_log');
        if (!log.get(logSysId))
            return;
        log.setValue('status_code', status);
        log.setValue('duration_ms', durationMs);
        if (this.logBodies)
            log.setValue('response_body', this._truncate(body));
        log.setValue('state', status >= 200 && status < 300 ? 'success' : 'error');
        log.update();
    },

    logFailure: function(correlationId, errorMessage) {
        gs.error('[' + this.endpointName + '] ' + correlationId + ': ' + errorMessage);
        var log = new GlideRecord('x_acme_integ_log');
        log.addQuery('correlation_id', correlationId);
        log.orderByDesc('sys_created_on');
        log.setLimit(1);
        log.query();
        if (log.next()) {
            log.setValue('error_message', errorMessage);
            log.setValue('state', 'failed');
            log.update();
        }
    },

    /**
     * Deletes log rows older than the given number of days. Failed rows are kept
     * twice as long.
     * @returns {number} rows deleted
     */
    purgeOlderThan: function(days) {
        var deleted = 0;
        var cutoff = new GlideDateTime();
        cutoff.addDaysUTC(-days);
        var failedCutoff = new GlideDateTime();
        failedCutoff.addDaysUTC(-2 * days);

        var log = new GlideRecord('x_acme_integ_log');
        log.addQuery('sys_created_on', '<', cutoff);
        log.addQuery('state', '!=', 'failed');
        log.query();
        deleted += log.getRowCount();
        log.deleteMultiple();

        var failed = new GlideRecord('x_acme_integ_log');
        failed.addQuery('sys_created_on', '<', failedCutoff);
        failed.addQuery('state', 'failed');
        failed.query();
        deleted += failed.getRowCount();
        failed.deleteMultiple();
        return deleted;
    },

    _truncate: function(text) {
        if (!text)
            return '';
        return text.length > this.maxBodyChars ? text.substring(0, this.maxBodyChars) + '...[truncated]' : text;
    },

    type: 'IntegrationLogger'
};

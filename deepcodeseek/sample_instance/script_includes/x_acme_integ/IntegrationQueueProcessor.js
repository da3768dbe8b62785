var IntegrationQueueProcessor = Class.create();
IntegrationQueueProcessor.prototype = {
    initialize: function() {
        this.table = 'x_acme_integ_outbound_queue';
        this.retry = new RetryPolicy();
        this.clients = {};
    },

    /**
     * Adds an outbound message. The payload is built now when a mapping is given,
     * so later changes to the record do not alter what is sent.
     * @returns {string} sys_id of the queue item
     */
    enqueue: function(endpointName, operation, tableName, recordSysId, payload) {
        var item = new GlideRecord(this.table);
        item.initialize();
        item.setValue('endpoint', endpointName);
        item.setValue('operation', operation);
        item.setValue('source_table', tableName);
        item.setValue('source_id', recordSysId);
        if (typeof payload == 'string' && payload.indexOf('{') !== 0) {
            var src = new GlideRecord(tableName);
            if (src.get(recordSysId))
                payload = new PayloadMapper(payload).toPayload(src);
        }
        item.setValue('payload', typeof payload == 'string' ? payload : JSON.stringify(payload || {}));
        item.setValue('state', 'ready');
        item.setValue('attempts', 0);
        item.setValue('next_attempt_at', new GlideDateTime());
        return item.insert();
    },

    /**
     * Sends ready items whose next_attempt_at has passed, oldest first.
     * @returns {{sent: number, failed: number, retrying: number}}
     */
    processPending: function(batchSize) {
        var stats = { sent: 0, failed: 0, retrying: 0 };
        var item = new GlideRecord(this.table);
        item.addQuery('state', 'IN', 'ready,retry');
        item.addQuery('next_attempt_at', '<=', new GlideDateTime());
        item.orderBy('sys_created_on');
        item.setLimit(batchSize || 50);
        item.query();
        while (item.next()) {
            var client = this._client(item.getValue('endpoint'));
            var method = item.getValue('operation') == 'update' ? 'put' : 'post';
            var res = client[method](item.getValue('target_path') || '/', item.getValue('payload'));
            var attempts = (parseInt(item.getValue('attempts'), 10) || 0) + 1;
            item.setValue('attempts', attempts);
            item.setValue('last_status', res.status);
            item.setValue('correlation_id', res.correlationId);
            if (res.ok) {
                item.setValue('state', 'sent');
                stats.sent++;
            } else if (this.retry.shouldRetry(res.status, attempts)) {
                item.setValue('state', 'retry');
                item.setValue('next_attempt_at', this.retry.getNextAttemptTime(attempts, res.retryAfter));
                stats.retrying++;
            } else {
                this.markFailed(item, res.status + ' ' + (res.error || res.raw));
                stats.failed++;
                continue;
            }
            item.update();
        }
        return stats;
    },

    markFailed: function(queueGr, message) {
        queueGr.setValue('state', 'failed');
        queueGr.setValue('error_message', String(message).substring(0, 1000));
        queueGr.update();
        gs.eventQueue('x_acme_integ.outbound.failed', queueGr, queueGr.getValue('endpoint'), message);
    },

    // Puts failed items back to ready, e.g. after the target system was fixed
    requeueFailed: function(olderThanMinutes, endpointName) {
        var count = 0;
        var cutoff = new GlideDateTime();
        cutoff.addSeconds(-60 * (olderThanMinutes || 0));
        var item = new GlideRecord(this.table);
        item.addQuery('state', 'failed');
        item.addQuery('sys_updated_on', '<=', cutoff);
        if (endpointName)
            item.addQuery('endpoint', endpointName);
        item.query();
        while (item.next()) {
            item.setValue('state', 'ready');
            item.setValue('attempts', 0);
            item.setValue('next_attempt_at', new GlideDateTime());
            item.update();
            count++;
        }
        return count;
    },

    _client: function(endpointName) {
        if (!this.clients[endpointName])
            this.clients[endpointName] = new AcmeRestClient(endpointName);
        return this.clients[endpointName];
    },

    type: 'IntegrationQueueProcessor'
};

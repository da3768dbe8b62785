var IntegrationStatusAjax = Class.create();
IntegrationStatusAjax.prototype = Object.extendsObject(global.AbstractAjaxProcessor, {

    /**
     * Calls the endpoint's health path. Params: sysparm_endpoint (endpoint name).
     * Returns JSON {ok, status, message}.
     */
    testConnection: function() {
        var name = this.getParameter('sysparm_endpoint');
        try {
            var client = new AcmeRestClient(name);
            var endpoint = new GlideRecord('x_acme_integ_endpoint');
            endpoint.get('name', name);
            var res = client.get(endpoint.getValue('health_path') || '/');
            return JSON.stringify({ ok: res.ok, status: res.status, message: res.ok ? 'Connection OK' : (res.error || 'HTTP ' + res.status) });
        } catch (e) {
            return JSON.stringify({ ok: false, status: 0, message: e.message });
        }
    },

    // Last successful and last failed call for an endpoint, from the log table
    getLastSyncStatus: function() {
        var name = this.getParameter('sysparm_endpoint');
        var out = { last_success: '', last_failure: '', last_error: '' };
        var log = new GlideRecord('x_acme_integ_log');
        log.addQuery('endpoint', name);
        log.addQuery('state', 'success');
        log.orderByDesc('sys_created_on');
        log.setLimit(1);
        log.query();
        if (log.next())
            out.last_success = log.getDisplayValue('sys_created_on');
        var failed = new GlideRecord('x_acme_integ_log');
        failed.addQuery('endpoint', name);
        failed.addQuery('state', 'IN', 'failed,error');
        failed.orderByDesc('sys_created_on');
        failed.setLimit(1);
        failed.query();
        if (failed.next()) {
            out.last_failure = failed.getDisplayValue('sys_created_on');
            out.last_error = failed.getValue('error_message') || ('HTTP ' + failed.getValue('status_code'));
        }
        return JSON.stringify(out);
    },

    getQueueDepth: function() {
        var agg = new GlideAggregate('x_acme_integ_outbound_queue');
        agg.addQuery('state', 'IN', 'ready,retry');
        var name = this.getParameter('sysparm_endpoint');
        if (name)
            agg.addQuery('endpoint', name);
        agg.addAggregate('COUNT');
        agg.query();
        return agg.next() ? agg.getAggregate('COUNT') : '0';
    },

    type: 'IntegrationStatusAjax'
});

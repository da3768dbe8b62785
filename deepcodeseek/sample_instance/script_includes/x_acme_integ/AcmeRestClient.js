var AcmeRestClient = Class.create();
AcmeRestClient.prototype = {
    /**
     * REST client bound to one row of x_acme_integ_endpoint (base URL, auth profile,
     * timeout, MID server). Transient failures are retried per RetryPolicy.
     * @param {string} endpointName value of x_acme_integ_endpoint.name
     */
    initialize: function(endpointName) {
        this.endpointName = endpointName;
        this.endpoint = new GlideRecord('x_acme_integ_endpoint');
        if (!this.endpoint.get('name', endpointName))
            throw new Error('Unknown integration endpoint: ' + endpointName);
        this.baseUrl = this.endpoint.getValue('base_url').replace(/\/$/, '');
        this.timeoutMs = parseInt(this.endpoint.getValue('timeout_ms'), 10) || 30000;
        this.retry = new RetryPolicy(parseInt(this.endpoint.getValue('max_attempts'), 10) || 3);
        this.logger = new IntegrationLogger(endpointName);
    },

    get: function(path, queryParams) {
        return this._execute('get', path, null, queryParams);
    },

    post: function(path, body) {
        return this._execute('post', path, body, null);
    },

    put: function(path, body) {
        return this._execute('put', path, body, null);
    },

    isEnabled: function() {
        return this.endpoint.getValue('active') == '1';
    },

    /**
     * Sends the request; retries immediately on transient errors (5xx, 429 with a
     * short Retry-After). Always returns a result object, never throws.
     * @returns {{ok: boolean, status: number, body: Object, raw: string, correlationId: string, error: string}}
     */
    _execute: function(method, path, body, queryParams) {
        var correlationId = buildCorrelationId(this.endpointName);
        if (!this.isEnabled())
            return { ok: false, status: 0, body: null, raw: '', correlationId: correlationId, error: 'endpoint disabled' };

        var attempt = 0;
        var result;
        do {
            attempt++;
            var rm = new sn_ws.RESTMessageV2();
            rm.setHttpMethod(method);
            rm.setEndpoint(this.baseUrl + path);
            rm.setHttpTimeout(this.timeoutMs);
            rm.setRequestHeader('Accept', 'application/json');
            rm.setRequestHeader('X-Correlation-ID', correlationId);
            if (!this.endpoint.auth_profile.nil())
                rm.setAuthenticationProfile(this.endpoint.getValue('auth_type') || 'basic', this.endpoint.getValue('auth_profile'));
            if (!this.endpoint.mid_server.nil())
                rm.setMIDServer(this.endpoint.mid_server.getDisplayValue());
            for (var key in (queryParams || {}))
                rm.setQueryParameter(key, queryParams[key]);
            if (body) {
                rm.setRequestHeader('Content-Type', 'application/json');
                rm.setRequestBody(typeof body == 'string' ? body : JSON.stringify(body));
            }
            var logId = this.logger.logRequest(method.toUpperCase(), this.baseUrl + path, body, correlationId);
            var started = new Date().getTime();
            result = this._parseResponse(rm.execute(), correlationId);
            this.logger.logResponse(logId, result.status, result.raw, new Date().getTime() - started);
        } while (!result.ok && this.retry.shouldRetry(result.status, attempt) &&
            this.retry.getDelayMs(attempt, result.retryAfter) <= 2000);

        if (!result.ok)
            this.logger.logFailure(correlationId, method.toUpperCase() + ' ' + path + ' failed after ' + attempt + ' attempt(s): ' + result.error);
        return result;
    },

    _parseResponse: function(response, correlationId) {
        var status = response.getStatusCode();
        var raw = response.getBody() || '';
        var parsed = null;
        try {
            parsed = raw ? JSON.parse(raw) : null;
        } catch (e) {
            parsed = null;
        }
        return {
            ok: !response.haveError() && status >= 200 && status < 300,
            status: status,
            body: parsed,
            raw: raw,
            retryAfter: response.getHeader('Retry-After'),
            correlationId: correlationId,
            error: response.haveError() ? response.getErrorMessage() : ''
        };
    },

    type: 'AcmeRestClient'
};

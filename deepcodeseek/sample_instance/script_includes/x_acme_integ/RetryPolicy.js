var RetryPolicy = Class.create();
RetryPolicy.prototype = {
    /**
     * @param {number} [maxAttempts] default from x_acme_integ.retry.max_attempts
     * @param {number} [baseDelayMs] first backoff step, doubled per attempt
     */
    initialize: function(maxAttempts, baseDelayMs) {
        this.maxAttempts = maxAttempts || parseInt(gs.getProperty('x_acme_integ.retry.max_attempts', '5'), 10);
        this.baseDelayMs = baseDelayMs || parseInt(gs.getProperty('x_acme_integ.retry.base_delay_ms', '1000'), 10);
        this.maxDelayMs = parseInt(gs.getProperty('x_acme_integ.retry.max_delay_ms', '900000'), 10);
    },

    // 408, 429 and 5xx except 501; 0 means the request never got an answer
    isTransient: function(statusCode) {
        var code = parseInt(statusCode, 10);
        if (code === 0 || code == 408 || code == 429)
            return true;
        return code >= 500 && code != 501;
    },

    shouldRetry: function(statusCode, attempt) {
        return attempt < this.maxAttempts && this.isTransient(statusCode);
    },

    /**
     * Exponential backoff with jitter. A Retry-After header (seconds) wins when present.
     * @param {number} attempt 1-based number of the attempt that just failed
     * @param {string} [retryAfterHeader]
     * @returns {number} milliseconds to wait before the next attempt
     */
    getDelayMs: function(attempt, retryAfterHeader) {
        var retryAfter = parseInt(retryAfterHeader, 10);
        if (!isNaN(retryAfter) && retryAfter >= 0)
            return Math.min(retryAfter * 1000, this.maxDelayMs);
        var delay = this.baseDelayMs * Math.pow(2, Math.max(attempt - 1, 0));
        var jitter = Math.floor(Math.random() * this.baseDelayMs);
        return Math.min(delay + jitter, this.maxDelayMs);
    },

    getNextAttemptTime: function(attempt, retryAfterHeader) {
        var next = new GlideDateTime();
        next.addSeconds(Math.ceil(this.getDelayMs(attempt, retryAfterHeader) / 1000));
        return next;
    },

    type: 'RetryPolicy'
};

var AcmeLogger = Class.create();

AcmeLogger.LEVELS = {
    debug: 10,
    info: 20,
    warn: 30,
    error: 40
};

AcmeLogger.prototype = {
    /**
     * @param {string} source Short name of the calling component, used as the log prefix.
     */
    initialize: function(source) {
        this.source = source || 'Acme';
        var configured = gs.getProperty('acme.log.level', 'info');
        this.threshold = AcmeLogger.LEVELS[configured] || AcmeLogger.LEVELS.info;
        this.verboseSources = gs.getProperty('acme.log.verbose_sources', '').split(',');
    },

    debug: function(message) {
        if (this._shouldLog('debug'))
            gs.debug(this._format('DEBUG', message));
    },

    info: function(message) {
        if (this._shouldLog('info'))
            gs.info(this._format('INFO', message));
    },

    warn: function(message) {
        if (this._shouldLog('warn'))
            gs.warn(this._format('WARN', message));
    },

    /**
     * Logs an error. When an exception is passed, its message and stack are appended.
     * @param {string} message
     * @param {Error} [err]
     */
    error: function(message, err) {
        var text = message;
        if (err) {
            text += ' | ' + (err.message || err);
            if (err.stack)
                text += '\n' + err.stack;
        }
        gs.error(this._format('ERROR', text));
    },

    // Runs fn and logs how long it took; returns whatever fn returns
    time: function(label, fn) {
        var started = new Date().getTime();
        try {
            return fn();
        } finally {
            var elapsed = new Date().getTime() - started;
            if (elapsed > parseInt(gs.getProperty('acme.log.slow_threshold_ms', '2000'), 10))
                this.warn(label + ' took ' + elapsed + ' ms');
            else
                this.debug(label + ' took ' + elapsed + ' ms');
        }
    },

    _shouldLog: function(level) {
        if (this.verboseSources.indexOf(this.source) > -1)
            return true;
        return AcmeLogger.LEVELS[level] >= this.threshold;
    },

    _format: function(level, message) {
        return '[' + this.source + '] ' + level + ': ' + message;
    },

    type: 'AcmeLogger'
};

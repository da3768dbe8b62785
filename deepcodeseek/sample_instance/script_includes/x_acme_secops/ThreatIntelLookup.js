var ThreatIntelLookup = Class.create();
ThreatIntelLookup.prototype = {
    initialize: function() {
        this.client = new x_acme_integ.AcmeRestClient('threat_intel');
        this.cacheHours = parseInt(gs.getProperty('x_acme_secops.ti_cache_hours', '24'), 10);
        this.maliciousThreshold = parseInt(gs.getProperty('x_acme_secops.ti_malicious_score', '70'), 10);
    },

    /**
     * Looks up an IP, domain, URL or file hash with the threat intel provider.
     * Results are cached in x_acme_secops_ti_cache.
     * @param {string} value raw indicator, may be defanged (hxxp, [.])
     * @returns {{type: string, value: string, verdict: string, score: number, source: string}}
     */
    lookupIndicator: function(value) {
        var type = IOCNormalizer.detectType(value);
        var normalized = IOCNormalizer.normalize(value, type);
        var cached = this._getCachedVerdict(normalized, type);
        if (cached)
            return cached;

        var response = this.client.get('/v2/indicators/' + type, { value: normalized });
        var result = { type: type, value: normalized, verdict: 'unknown', score: 0, source: 'provider' };
        if (response.ok && response.body) {
            result.score = parseInt(response.body.score, 10) || 0;
            result.verdict = result.score >= this.maliciousThreshold ? 'malicious' :
                (result.score > 20 ? 'suspicious' : 'benign');
            result.tags = response.body.tags || [];
        } else {
            result.source = 'unavailable';
            return result;
        }
        this._cacheVerdict(result);
        return result;
    },

    isKnownMalicious: function(value) {
        return this.lookupIndicator(value).verdict == 'malicious';
    },

    // Looks up every indicator on the incident and writes the verdicts back
    enrichIncident: function(incidentGr) {
        var malicious = 0;
        var ioc = new GlideRecord('x_acme_secops_indicator');
        ioc.addQuery('incident', incidentGr.getUniqueValue());
        ioc.addQuery('verdict', 'IN', ',unknown');
        ioc.query();
        while (ioc.next()) {
            var res = this.lookupIndicator(ioc.getValue('value'));
            ioc.setValue('verdict', res.verdict);
            ioc.setValue('ti_score', res.score);
            ioc.update();
            if (res.verdict == 'malicious')
                malicious++;
        }
        incidentGr.work_notes = 'Threat intel enrichment: ' + malicious + ' malicious indicator(s)';
        return malicious;
    },

    _getCachedVerdict: function(value, type) {
        var cutoff = new GlideDateTime();
        cutoff.addSeconds(-this.cacheHours * 3600);
        var cache = new GlideRecord('x_acme_secops_ti_cache');
        cache.addQuery('value', value);
        cache.addQuery('type', type);
        cache.addQuery('sys_updated_on', '>', cutoff);
        cache.setLimit(1);
        cache.query();
        if (!cache.next())
            return null;
        return { type: type, value: value, verdict: cache.getValue('verdict'),
            score: parseInt(cache.getValue('score'), 10), source: 'cache' };
    },

    _cacheVerdict: function(result) {
        var cache = new GlideRecord('x_acme_secops_ti_cache');
        if (!cache.get('value', result.value))
            cache.initialize();
        cache.setValue('value', result.value);
        cache.setValue('type', result.type);
        cache.setValue('verdict', result.verdict);
        cache.setValue('score', result.score);
        if (cache.isNewRecord())
            cache.insert();
        else
            cache.update();
    },

    type: 'ThreatIntelLookup'
};

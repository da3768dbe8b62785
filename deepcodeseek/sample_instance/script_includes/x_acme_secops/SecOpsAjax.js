var SecOpsAjax = Class.create();
SecOpsAjax.prototype = Object.extendsObject(global.AbstractAjaxProcessor, {

    // sysparm_incident_id -> risk score as a string
    getRiskScore: function() {
        var inc = new GlideRecord('x_acme_secops_incident');
        if (!inc.get(this.getParameter('sysparm_incident_id')))
            return '';
        return String(new SecurityIncidentUtils().calculateRiskScore(inc));
    },

    /**
     * Verdict for a single indicator typed on the form.
     * Params: sysparm_indicator
     */
    getIndicatorVerdict: function() {
        var value = this.getParameter('sysparm_indicator');
        if (!value)
            return JSON.stringify({ verdict: 'unknown' });
        var result = new ThreatIntelLookup().lookupIndicator(value);
        return JSON.stringify(result);
    },

    /**
     * Up to 5 open incidents of the same category, excluding the current one.
     * Params: sysparm_category, sysparm_incident_id
     */
    getSimilarIncidents: function() {
        var category = this.getParameter('sysparm_category');
        var currentId = this.getParameter('sysparm_incident_id');
        var list = new SecurityIncidentUtils().getOpenIncidentsByCategory(category);
        var similar = [];
        for (var i = 0; i < list.length && similar.length < 5; i++) {
            if (list[i].sys_id != currentId)
                similar.push({ number: list[i].number, short_description: list[i].short_description });
        }
        return JSON.stringify(similar);
    },

    type: 'SecOpsAjax'
});

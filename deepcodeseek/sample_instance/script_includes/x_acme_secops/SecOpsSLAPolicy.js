var SecOpsSLAPolicy = Class.create();
SecOpsSLAPolicy.prototype = {
    initialize: function() {
        // response windows in minutes by severity, overridable per property
        this.windows = {
            '1': parseInt(gs.getProperty('x_acme_secops.response_minutes.sev1', '15'), 10),
            '2': parseInt(gs.getProperty('x_acme_secops.response_minutes.sev2', '60'), 10),
            '3': parseInt(gs.getProperty('x_acme_secops.response_minutes.sev3', '240'), 10),
            '4': parseInt(gs.getProperty('x_acme_secops.response_minutes.sev4', '1440'), 10)
        };
    },

    getResponseWindowMinutes: function(severity) {
        return this.windows[String(severity)] || this.windows['4'];
    },

    /**
     * True when nobody has acknowledged the incident within its response window.
     * @param {GlideRecord} incidentGr
     */
    isResponseOverdue: function(incidentGr) {
        if (!incidentGr.acknowledged_on.nil())
            return false;
        var opened = new GlideDateTime(incidentGr.getValue('sys_created_on'));
        var deadline = new GlideDateTime(opened);
        deadline.addSeconds(this.getResponseWindowMinutes(incidentGr.getValue('severity')) * 60);
        return new GlideDateTime().after(deadline);
    },

    /**
     * 0 = none, 1 = SOC lead, 2 = security manager, 3 = CISO. Based on how many
     * response windows have passed without acknowledgement.
     */
    getEscalationLevel: function(incidentGr) {
        if (!incidentGr.acknowledged_on.nil())
            return 0;
        var opened = new GlideDateTime(incidentGr.getValue('sys_created_on')).getNumericValue();
        var elapsedMin = (new GlideDateTime().getNumericValue() - opened) / 60000;
        var windowMin = this.getResponseWindowMinutes(incidentGr.getValue('severity'));
        var level = Math.floor(elapsedMin / windowMin);
        if (incidentGr.getValue('severity') == '1' && level > 0)
            level++;
        return Math.min(level, 3);
    },

    type: 'SecOpsSLAPolicy'
};

var SecOpsNotificationHelper = Class.create();
SecOpsNotificationHelper.prototype = {
    initialize: function() {
        this.onCallGroup = gs.getProperty('x_acme_secops.oncall_group', 'SOC Tier 1');
        this.cisoUser = gs.getProperty('x_acme_secops.ciso_user');
    },

    /**
     * Pages the analyst currently on call for the SOC rota (falls back to the whole group).
     */
    notifyOnCallAnalyst: function(incidentGr) {
        var rota = new GlideRecord('x_acme_secops_oncall_shift');
        var now = new GlideDateTime();
        rota.addQuery('group.name', this.onCallGroup);
        rota.addQuery('starts', '<=', now);
        rota.addQuery('ends', '>', now);
        rota.setLimit(1);
        rota.query();
        if (rota.next()) {
            gs.eventQueue('x_acme_secops.incident.page', incidentGr, rota.getValue('analyst'), incidentGr.getValue('severity'));
            return rota.getValue('analyst');
        }
        var group = new GlideRecord('sys_user_group');
        if (group.get('name', this.onCallGroup))
            gs.eventQueue('x_acme_secops.incident.page_group', incidentGr, group.getUniqueValue(), incidentGr.getValue('severity'));
        return '';
    },

    notifyCISO: function(incidentGr, summary) {
        if (!this.cisoUser)
            return false;
        gs.eventQueue('x_acme_secops.incident.ciso_brief', incidentGr, this.cisoUser, summary || incidentGr.getValue('short_description'));
        return true;
    },

    /**
     * Queues breach notices to affected users. Legal must have approved the notice
     * text (breach_notice_approved) before anything is sent.
     * @param {GlideRecord} incidentGr
     * @param {Array} affectedUserIds sys_user sys_ids
     * @returns {number} notices queued
     */
    sendBreachNotice: function(incidentGr, affectedUserIds) {
        if (incidentGr.getValue('breach_notice_approved') != '1') {
            gs.warn('Breach notice for ' + incidentGr.getValue('number') + ' not approved by Legal');
            return 0;
        }
        var sent = 0;
        for (var i = 0; i < affectedUserIds.length; i++) {
            gs.eventQueue('x_acme_secops.breach.notice', incidentGr, affectedUserIds[i], '');
            sent++;
        }
        incidentGr.setValue('breach_notices_sent', sent);
        incidentGr.setValue('breach_notified_on', new GlideDateTime());
        incidentGr.update();
        return sent;
    },

    notifyAssetOwner: function(incidentGr, assetGr) {
        var owner = assetGr.getValue('assigned_to') || assetGr.getValue('managed_by');
        if (!owner)
            return false;
        gs.eventQueue('x_acme_secops.asset.compromised', incidentGr, owner, assetGr.getValue('asset_tag'));
        return true;
    },

    type: 'SecOpsNotificationHelper'
};

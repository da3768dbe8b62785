var SecurityIncidentUtils = Class.create();
SecurityIncidentUtils.prototype = Object.extendsObject(global.AcmeBaseUtils, {

    initialize: function() {
        global.AcmeBaseUtils.prototype.initialize.call(this, 'x_acme_secops_incident');
        this.slaPolicy = new SecOpsSLAPolicy();
    },

    /**
     * Creates a security incident from a SIEM alert, or attaches the alert to an
     * open incident with the same correlation key.
     * @param {GlideRecord} alertGr x_acme_secops_alert
     * @returns {string} sys_id of the incident
     */
    createFromAlert: function(alertGr) {
        var key = alertGr.getValue('correlation_key');
        if (key) {
            var open = new GlideRecord('x_acme_secops_incident');
            open.addActiveQuery();
            open.addQuery('correlation_key', key);
            open.setLimit(1);
            open.query();
            if (open.next()) {
                alertGr.setValue('incident', open.getUniqueValue());
                alertGr.update();
                open.setValue('alert_count', (parseInt(open.getValue('alert_count'), 10) || 1) + 1);
                open.work_notes = 'Correlated alert ' + alertGr.getValue('number');
                open.update();
                return open.getUniqueValue();
            }
        }
        var inc = new GlideRecord('x_acme_secops_incident');
        inc.initialize();
        inc.setValue('short_description', alertGr.getValue('rule_name') + ' on ' + alertGr.getValue('source_host'));
        inc.setValue('category', alertGr.getValue('category') || 'suspicious_activity');
        inc.setValue('severity', alertGr.getValue('severity') || 3);
        inc.setValue('correlation_key', key);
        inc.setValue('source', 'siem');
        inc.setValue('alert_count', 1);
        var incId = inc.insert();
        alertGr.setValue('incident', incId);
        alertGr.update();
        if (alertGr.getValue('asset_tag'))
            this.linkAffectedAsset(incId, alertGr.getValue('asset_tag'));
        return incId;
    },

    escalateToCritical: function(incidentGr, justification) {
        if (incidentGr.getValue('severity') == '1')
            return false;
        incidentGr.setValue('severity', 1);
        incidentGr.setValue('escalation_level', this.slaPolicy.getEscalationLevel(incidentGr));
        this.addWorkNote(incidentGr, 'Escalated to critical by ' + gs.getUserDisplayName() + ': ' + justification);
        incidentGr.update();
        gs.eventQueue('x_acme_secops.incident.critical', incidentGr, gs.getUserID(), justification);
        return true;
    },

    getOpenIncidentsByCategory: function(category) {
        var list = [];
        var inc = new GlideRecord('x_acme_secops_incident');
        inc.addActiveQuery();
        if (category)
            inc.addQuery('category', category);
        inc.orderBy('severity');
        inc.orderByDesc('sys_created_on');
        inc.query();
        while (inc.next()) {
            list.push({
                sys_id: inc.getUniqueValue(),
                number: inc.getValue('number'),
                severity: inc.getValue('severity'),
                risk_score: inc.getValue('risk_score'),
                assigned_to: inc.getDisplayValue('assigned_to'),
                short_description: inc.getValue('short_description')
            });
        }
        return list;
    },

    /**
     * Adds a hardware asset (by tag) to the incident's affected assets.
     */
    linkAffectedAsset: function(incidentSysId, assetTag) {
        var asset = new x_acme_itam.AssetUtils().getAssetByTag(assetTag);
        if (!asset) {
            this.logger.warn('Affected asset ' + assetTag + ' not found in ITAM');
            return '';
        }
        var link = new GlideRecord('x_acme_secops_affected_asset');
        link.addQuery('incident', incidentSysId);
        link.addQuery('asset', asset.getUniqueValue());
        link.query();
        if (link.next())
            return link.getUniqueValue();
        link.initialize();
        link.setValue('incident', incidentSysId);
        link.setValue('asset', asset.getUniqueValue());
        link.setValue('owner', asset.getValue('assigned_to'));
        return link.insert();
    },

    closeAsFalsePositive: function(incidentSysId, analystNotes) {
        var inc = this.getRecord(incidentSysId);
        if (!inc || !inc.active)
            return false;
        inc.setValue('state', 'closed');
        inc.setValue('close_code', 'false_positive');
        inc.setValue('close_notes', analystNotes);
        inc.update();
        var alert = new GlideRecord('x_acme_secops_alert');
        alert.addQuery('incident', incidentSysId);
        alert.query();
        while (alert.next()) {
            alert.setValue('disposition', 'false_positive');
            alert.update();
        }
        return true;
    },

    // 0-100: severity weight + asset criticality + indicator verdicts
    calculateRiskScore: function(incidentGr) {
        var severityWeight = { '1': 60, '2': 40, '3': 20, '4': 5 };
        var score = severityWeight[incidentGr.getValue('severity')] || 10;
        var link = new GlideRecord('x_acme_secops_affected_asset');
        link.addQuery('incident', incidentGr.getUniqueValue());
        link.query();
        while (link.next()) {
            if (link.asset.business_criticality == '1 - most critical')
                score += 15;
            else
                score += 3;
        }
        var ioc = new GlideAggregate('x_acme_secops_indicator');
        ioc.addQuery('incident', incidentGr.getUniqueValue());
        ioc.addQuery('verdict', 'malicious');
        ioc.addAggregate('COUNT');
        ioc.query();
        if (ioc.next())
            score += 5 * parseInt(ioc.getAggregate('COUNT'), 10);
        return Math.min(score, 100);
    },

    type: 'SecurityIncidentUtils'
});

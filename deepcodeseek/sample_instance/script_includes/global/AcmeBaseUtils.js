var AcmeBaseUtils = Class.create();
AcmeBaseUtils.prototype = {
    /**
     * Shared helpers for table-specific utility classes. Subclasses call
     * AcmeBaseUtils.prototype.initialize.call(this, '<table>').
     * @param {string} tableName
     */
    initialize: function(tableName) {
        this.tableName = tableName;
        this.logger = new AcmeLogger(this.type || 'AcmeBaseUtils');
    },

    /**
     * Returns the record with the given sys_id, or null when it does not exist
     * or the current user cannot read it.
     */
    getRecord: function(sysId) {
        if (!this.isValidSysId(sysId))
            return null;
        var gr = new GlideRecord(this.tableName);
        if (!gr.get(sysId))
            return null;
        if (!gr.canRead()) {
            this.logger.warn('User ' + gs.getUserName() + ' cannot read ' + this.tableName + ' ' + sysId);
            return null;
        }
        return gr;
    },

    isValidSysId: function(value) {
        return typeof value == 'string' && /^[0-9a-f]{32}$/.test(value);
    },

    // Count of records in this table that match an encoded query
    countWhere: function(encodedQuery) {
        var ga = new GlideAggregate(this.tableName);
        if (encodedQuery)
            ga.addEncodedQuery(encodedQuery);
        ga.addAggregate('COUNT');
        ga.query();
        return ga.next() ? parseInt(ga.getAggregate('COUNT'), 10) : 0;
    },

    /**
     * Sets several fields on one record and updates it.
     * @param {string} sysId
     * @param {Object} fieldMap field name -> value
     * @returns {boolean} true when the update went through
     */
    updateFields: function(sysId, fieldMap) {
        var gr = this.getRecord(sysId);
        if (!gr)
            return false;
        for (var field in fieldMap) {
            if (!fieldMap.hasOwnProperty(field))
                continue;
            if (!gr.isValidField(field)) {
                this.logger.warn('Ignoring unknown field ' + field + ' on ' + this.tableName);
                continue;
            }
            gr.setValue(field, fieldMap[field]);
        }
        return !!gr.update();
    },

    addWorkNote: function(gr, note) {
        if (!gr || !gr.isValidField('work_notes'))
            return;
        gr.work_notes = note;
    },

    getDisplayValues: function(gr, fields) {
        var out = {};
        for (var i = 0; i < fields.length; i++)
            out[fields[i]] = gr.getDisplayValue(fields[i]);
        return out;
    },

    type: 'AcmeBaseUtils'
};

var PayloadMapper = Class.create();
PayloadMapper.prototype = {
    /**
     * Maps records to outbound JSON and responses back onto records using the
     * rows of x_acme_integ_field_map for one mapping.
     * @param {string} mappingName x_acme_integ_field_map.mapping
     */
    initialize: function(mappingName) {
        this.mappingName = mappingName;
        this.fields = this._loadFieldMap(mappingName);
    },

    /**
     * @param {GlideRecord} gr source record
     * @returns {Object} payload with nested keys expanded ("fields.summary")
     */
    toPayload: function(gr) {
        var payload = {};
        for (var i = 0; i < this.fields.length; i++) {
            var f = this.fields[i];
            if (f.direction == 'inbound')
                continue;
            var value = f.use_display ? gr.getDisplayValue(f.source_field) : gr.getValue(f.source_field);
            if ((value === null || value === '') && f.default_value)
                value = f.default_value;
            if ((value === null || value === '') && !f.send_empty)
                continue;
            this._setPath(payload, f.target_path, this._transform(value, f.transform));
        }
        return payload;
    },

    // Writes inbound-mapped values from a response body onto gr (does not update)
    applyResponse: function(gr, responseObj) {
        var changed = 0;
        for (var i = 0; i < this.fields.length; i++) {
            var f = this.fields[i];
            if (f.direction == 'outbound')
                continue;
            var value = this._getPath(responseObj, f.target_path);
            if (value === undefined)
                continue;
            gr.setValue(f.source_field, this._transform(value, f.inbound_transform));
            changed++;
        }
        return changed;
    },

    _loadFieldMap: function(mappingName) {
        var list = [];
        var map = new GlideRecord('x_acme_integ_field_map');
        map.addQuery('mapping', mappingName);
        map.addActiveQuery();
        map.orderBy('order');
        map.query();
        while (map.next()) {
            list.push({
                source_field: map.getValue('source_field'),
                target_path: map.getValue('target_path'),
                direction: map.getValue('direction') || 'both',
                transform: map.getValue('transform'),
                inbound_transform: map.getValue('inbound_transform'),
                use_display: map.getValue('use_display_value') == '1',
                send_empty: map.getValue('send_empty') == '1',
                default_value: map.getValue('default_value')
            });
        }
        return list;
    },

    _transform: function(value, transformName) {
        switch (transformName) {
            case 'upper': return String(value).toUpperCase();
            case 'lower': return String(value).toLowerCase();
            case 'int': return parseInt(value, 10);
            case 'bool': return value === true || value == '1' || value == 'true';
            case 'iso_date': return new GlideDateTime(value).getValue().replace(' ', 'T') + 'Z';
            case 'priority_to_jira': return ({ '1': 'Highest', '2': 'High', '3': 'Medium', '4': 'Low' })[value] || 'Medium';
            default: return value;
        }
    },

    _setPath: function(obj, path, value) {
        var keys = path.split('.');
        var node = obj;
        for (var i = 0; i < keys.length - 1; i++) {
            node[keys[i]] = node[keys[i]] || {};
            node = node[keys[i]];
        }
        node[keys[keys.length - 1]] = value;
    },

    _getPath: function(obj, path) {
        var keys = path.split('.');
        var node = obj;
        for (var i = 0; i < keys.length; i++) {
            if (node === null || node === undefined)
                return undefined;
            node = node[keys[i]];
        }
        return node;
    },

    type: 'PayloadMapper'
};

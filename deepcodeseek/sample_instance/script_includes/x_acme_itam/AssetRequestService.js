var AssetRequestService = Class.create();
AssetRequestService.prototype = {
    initialize: function() {
        this.table = 'x_acme_itam_asset_request';
    },

    /**
     * Creates a hardware request for a user.
     * @param {string} requestedFor sys_user sys_id
     * @param {string} modelCategory name of a cmdb_model_category (e.g. 'laptop')
     * @param {string} justification
     * @param {GlideDateTime|string} [neededBy]
     * @returns {string} sys_id of the request, '' when the category is unknown
     */
    createRequest: function(requestedFor, modelCategory, justification, neededBy) {
        var category = new GlideRecord('cmdb_model_category');
        category.addQuery('name', modelCategory).addOrCondition('sys_id', modelCategory);
        category.setLimit(1);
        category.query();
        if (!category.next()) {
            gs.warn('Asset request for unknown category ' + modelCategory);
            return '';
        }
        var req = new GlideRecord(this.table);
        req.initialize();
        req.setValue('requested_for', requestedFor);
        req.setValue('model_category', category.getUniqueValue());
        req.setValue('justification', justification || '');
        req.setValue('state', 'requested');
        if (neededBy)
            req.setValue('needed_by', new GlideDateTime(neededBy.toString()));
        return req.insert() || '';
    },

    /**
     * Links an in-stock asset to the request and assigns it to the requester.
     */
    fulfillRequest: function(requestSysId, assetSysId) {
        var req = new GlideRecord(this.table);
        if (!req.get(requestSysId) || req.getValue('state') == 'fulfilled')
            return false;
        var assigned = new AssetUtils().assignAssetToUser(assetSysId, req.getValue('requested_for'),
            'Request ' + req.getValue('number'));
        if (!assigned)
            return false;
        req.setValue('asset', assetSysId);
        req.setValue('state', 'fulfilled');
        req.setValue('fulfilled_on', new GlideDateTime());
        req.update();
        gs.eventQueue('x_acme_itam.request.fulfilled', req, req.getValue('requested_for'), '');
        return true;
    },

    getPendingRequests: function(requestedFor) {
        var list = [];
        var req = new GlideRecord(this.table);
        req.addQuery('state', 'IN', 'requested,approved,sourcing');
        if (requestedFor)
            req.addQuery('requested_for', requestedFor);
        req.orderBy('needed_by');
        req.query();
        while (req.next()) {
            list.push({
                sys_id: req.getUniqueValue(),
                number: req.getValue('number'),
                category: req.getDisplayValue('model_category'),
                needed_by: req.getValue('needed_by'),
                state: req.getValue('state')
            });
        }
        return list;
    },

    cancelRequest: function(requestSysId, reason) {
        var req = new GlideRecord(this.table);
        if (!req.get(requestSysId) || req.getValue('state') == 'fulfilled')
            return false;
        req.setValue('state', 'cancelled');
        req.comments = 'Cancelled: ' + (reason || '');
        return !!req.update();
    },

    type: 'AssetRequestService'
};

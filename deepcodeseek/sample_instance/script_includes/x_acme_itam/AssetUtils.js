var AssetUtils = Class.create();
AssetUtils.prototype = {
    initialize: function() {
        this.table = 'alm_hardware';
        this.depreciationYears = parseInt(gs.getProperty('x_acme_itam.depreciation_years', '4'), 10);
    },

    /**
     * Looks up a hardware asset by its tag (ACME-HW-000123). Tags are stored upper case.
     * @param {string} assetTag
     * @returns {GlideRecord|null}
     */
    getAssetByTag: function(assetTag) {
        if (!assetTag)
            return null;
        var asset = new GlideRecord(this.table);
        asset.addQuery('asset_tag', String(assetTag).trim().toUpperCase());
        asset.setLimit(1);
        asset.query();
        return asset.next() ? asset : null;
    },

    /**
     * Assigns an in-stock asset to a user and records the assignment history.
     * @returns {boolean}
     */
    assignAssetToUser: function(assetSysId, userId, reason) {
        var asset = new GlideRecord(this.table);
        if (!asset.get(assetSysId))
            return false;
        if (asset.getValue('install_status') != '6') { // 6 = In stock
            gs.warn('Asset ' + asset.getValue('asset_tag') + ' is not in stock, cannot assign');
            return false;
        }
        asset.setValue('assigned_to', userId);
        asset.setValue('assigned', new GlideDateTime());
        asset.setValue('install_status', 1); // In use
        asset.setValue('substatus', '');
        var user = new GlideRecord('sys_user');
        if (user.get(userId)) {
            asset.setValue('location', user.getValue('location'));
            asset.setValue('department', user.getValue('department'));
        }
        asset.update();
        this._logHistory(asset, '', userId, reason || 'Assigned');
        return true;
    },

    getAssetsForUser: function(userId) {
        var assets = [];
        var asset = new GlideRecord(this.table);
        asset.addQuery('assigned_to', userId);
        asset.addQuery('install_status', 'IN', '1,9'); // in use, pending install
        asset.orderBy('model_category');
        asset.query();
        while (asset.next()) {
            assets.push({
                sys_id: asset.getUniqueValue(),
                asset_tag: asset.getValue('asset_tag'),
                model: asset.getDisplayValue('model'),
                category: asset.getDisplayValue('model_category'),
                serial_number: asset.getValue('serial_number')
            });
        }
        return assets;
    },

    retireAsset: function(assetSysId, disposalReason) {
        var asset = new GlideRecord(this.table);
        if (!asset.get(assetSysId))
            return false;
        var lifecycle = new HardwareLifecycleManager(asset);
        if (!lifecycle.canTransition(asset.getValue('install_status'), '7'))
            return false;
        asset.setValue('install_status', 7); // Retired
        asset.setValue('substatus', 'disposed');
        asset.setValue('disposal_reason', disposalReason || '');
        asset.setValue('retired', new GlideDateTime().getDate());
        asset.setValue('assigned_to', '');
        return !!asset.update();
    },

    /**
     * Straight-line depreciated value based on cost and purchase date.
     * @param {GlideRecord} assetGr alm_hardware record
     * @returns {number} value rounded to 2 decimals, never below 0
     */
    getDepreciatedValue: function(assetGr) {
        var cost = parseFloat(assetGr.getValue('cost')) || 0;
        if (!cost || assetGr.purchase_date.nil())
            return cost;
        var purchased = new GlideDateTime(assetGr.getValue('purchase_date') + ' 00:00:00');
        var ageDays = (new GlideDateTime().getNumericValue() - purchased.getNumericValue()) / 86400000;
        var lifeDays = this.depreciationYears * 365;
        var value = cost * Math.max(0, 1 - ageDays / lifeDays);
        return Math.round(value * 100) / 100;
    },

    // Moves an asset from one user to another (no stock round-trip)
    transferAsset: function(assetSysId, fromUserId, toUserId) {
        var asset = new GlideRecord(this.table);
        if (!asset.get(assetSysId) || asset.getValue('assigned_to') != fromUserId)
            return false;
        asset.setValue('assigned_to', toUserId);
        asset.setValue('assigned', new GlideDateTime());
        asset.update();
        this._logHistory(asset, fromUserId, toUserId, 'Transfer');
        return true;
    },

    _logHistory: function(asset, fromUser, toUser, reason) {
        var hist = new GlideRecord('x_acme_itam_assignment_history');
        hist.initialize();
        hist.setValue('asset', asset.getUniqueValue());
        hist.setValue('from_user', fromUser);
        hist.setValue('to_user', toUser);
        hist.setValue('reason', reason);
        hist.insert();
    },

    type: 'AssetUtils'
};

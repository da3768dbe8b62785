var AssetAjax = Class.create();
AssetAjax.prototype = Object.extendsObject(global.AbstractAjaxProcessor, {

    /**
     * Params: sysparm_asset_tag. Returns JSON with model, status and assignee.
     */
    getAssetDetails: function() {
        var asset = new AssetUtils().getAssetByTag(this.getParameter('sysparm_asset_tag'));
        if (!asset)
            return JSON.stringify({ found: false });
        return JSON.stringify({
            found: true,
            sys_id: asset.getUniqueValue(),
            model: asset.getDisplayValue('model'),
            status: asset.getDisplayValue('install_status'),
            assigned_to: asset.getDisplayValue('assigned_to'),
            warranty_expiration: asset.getValue('warranty_expiration')
        });
    },

    validateTag: function() {
        var tag = this.getParameter('sysparm_asset_tag');
        if (!validateAssetTag(tag))
            return 'invalid';
        var existing = new AssetUtils().getAssetByTag(tag);
        var current = this.getParameter('sysparm_sys_id');
        if (existing && existing.getUniqueValue() != current)
            return 'duplicate';
        return 'ok';
    },

    // Models of a category that currently have stock, as [{sys_id, name, in_stock}]
    getAvailableModels: function() {
        var category = this.getParameter('sysparm_category');
        var models = [];
        var agg = new GlideAggregate('alm_hardware');
        agg.addQuery('model_category', category);
        agg.addQuery('install_status', 6);
        agg.addAggregate('COUNT');
        agg.groupBy('model');
        agg.query();
        while (agg.next()) {
            models.push({
                sys_id: agg.getValue('model'),
                name: agg.getDisplayValue('model'),
                in_stock: parseInt(agg.getAggregate('COUNT'), 10)
            });
        }
        return JSON.stringify(models);
    },

    getUserAssetCount: function() {
        var userId = this.getParameter('sysparm_user_id');
        return String(new AssetUtils().getAssetsForUser(userId).length);
    },

    type: 'AssetAjax'
});

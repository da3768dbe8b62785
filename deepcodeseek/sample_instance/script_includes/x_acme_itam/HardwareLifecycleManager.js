var HardwareLifecycleManager = Class.create();
HardwareLifecycleManager.prototype = Object.extendsObject(AssetLifecycleBase, {

    initialize: function(assetGr) {
        AssetLifecycleBase.prototype.initialize.call(this, assetGr);
        this.warrantyWarnDays = parseInt(gs.getProperty('x_acme_itam.warranty_warn_days', '30'), 10);
    },

    markInStock: function(stockroomId) {
        this.asset.setValue('stockroom', stockroomId);
        this.asset.setValue('assigned_to', '');
        return this.transitionTo(AssetLifecycleBase.STATE.IN_STOCK, 'available', 'Returned to stock');
    },

    markInUse: function(userId) {
        this.asset.setValue('assigned_to', userId);
        this.asset.setValue('assigned', new GlideDateTime());
        this.asset.setValue('stockroom', '');
        return this.transitionTo(AssetLifecycleBase.STATE.IN_USE, '', 'Deployed to user');
    },

    /**
     * Sends the device to a repair vendor and opens a repair tracking record.
     * @param {string} vendorName core_company name
     * @param {string} [ticketRef] the vendor's RMA / ticket number
     * @returns {string} sys_id of the x_acme_itam_repair record, '' when blocked
     */
    sendToRepair: function(vendorName, ticketRef) {
        var vendor = new GlideRecord('core_company');
        vendor.addQuery('name', vendorName);
        vendor.addQuery('vendor', true);
        vendor.query();
        if (!vendor.next()) {
            gs.warn('Unknown repair vendor ' + vendorName);
            return '';
        }
        var previousUser = this.asset.getValue('assigned_to');
        if (!this.transitionTo(AssetLifecycleBase.STATE.IN_MAINTENANCE, 'in_repair', 'Sent to ' + vendorName))
            return '';
        var repair = new GlideRecord('x_acme_itam_repair');
        repair.initialize();
        repair.setValue('asset', this.asset.getUniqueValue());
        repair.setValue('vendor', vendor.getUniqueValue());
        repair.setValue('vendor_reference', ticketRef || '');
        repair.setValue('previous_user', previousUser);
        repair.setValue('under_warranty', this.isUnderWarranty());
        repair.setValue('sent_on', new GlideDateTime());
        return repair.insert() || '';
    },

    dispose: function(method, certificateNumber) {
        if (this.asset.getValue('assigned_to')) {
            gs.warn('Cannot dispose ' + this.asset.getValue('asset_tag') + ' while assigned');
            return false;
        }
        this.asset.setValue('disposal_method', method);
        this.asset.setValue('disposal_certificate', certificateNumber || '');
        this.asset.setValue('retired', new GlideDateTime().getDate());
        return this.transitionTo(AssetLifecycleBase.STATE.RETIRED, 'disposed', 'Disposed via ' + method);
    },

    // true when warranty_expiration is today or later
    isUnderWarranty: function() {
        if (this.asset.warranty_expiration.nil())
            return false;
        var expires = new GlideDateTime(this.asset.getValue('warranty_expiration') + ' 23:59:59');
        return !new GlideDateTime().after(expires);
    },

    getWarrantyDaysLeft: function() {
        if (this.asset.warranty_expiration.nil())
            return -1;
        var expires = new GlideDateTime(this.asset.getValue('warranty_expiration') + ' 23:59:59');
        return Math.floor((expires.getNumericValue() - new GlideDateTime().getNumericValue()) / 86400000);
    },

    type: 'HardwareLifecycleManager'
});

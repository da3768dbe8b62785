var SoftwareLicenseService = Class.create();
SoftwareLicenseService.prototype = {
    initialize: function() {
        this.allocationTable = 'x_acme_itam_license_allocation';
    },

    /**
     * Seats left on a license: purchased rights minus active allocations.
     * @param {string} licenseSysId x_acme_itam_software_license
     * @returns {number}
     */
    getAvailableSeats: function(licenseSysId) {
        var license = new GlideRecord('x_acme_itam_software_license');
        if (!license.get(licenseSysId))
            return 0;
        var purchased = parseInt(license.getValue('purchased_rights'), 10) || 0;
        var agg = new GlideAggregate(this.allocationTable);
        agg.addQuery('license', licenseSysId);
        agg.addQuery('state', 'active');
        agg.addAggregate('COUNT');
        agg.query();
        var used = agg.next() ? parseInt(agg.getAggregate('COUNT'), 10) : 0;
        return purchased - used;
    },

    allocateSeat: function(licenseSysId, userId) {
        var existing = new GlideRecord(this.allocationTable);
        existing.addQuery('license', licenseSysId);
        existing.addQuery('user', userId);
        existing.addQuery('state', 'active');
        existing.query();
        if (existing.next())
            return existing.getUniqueValue();
        if (this.getAvailableSeats(licenseSysId) <= 0)
            return '';
        var alloc = new GlideRecord(this.allocationTable);
        alloc.initialize();
        alloc.setValue('license', licenseSysId);
        alloc.setValue('user', userId);
        alloc.setValue('state', 'active');
        alloc.setValue('allocated_on', new GlideDateTime());
        return alloc.insert() || '';
    },

    /**
     * Revokes allocations whose user has not used the product for inactiveDays.
     * Usage comes from last_used_on, fed by the SCCM import.
     * @returns {number} number of seats reclaimed
     */
    reclaimUnusedSeats: function(licenseSysId, inactiveDays) {
        var cutoff = new GlideDateTime();
        cutoff.addDaysUTC(-(inactiveDays || 90));
        var reclaimed = 0;
        var alloc = new GlideRecord(this.allocationTable);
        alloc.addQuery('license', licenseSysId);
        alloc.addQuery('state', 'active');
        alloc.addQuery('last_used_on', '<', cutoff).addOrCondition('last_used_on', '');
        alloc.addQuery('allocated_on', '<', cutoff);
        alloc.query();
        while (alloc.next()) {
            alloc.setValue('state', 'reclaimed');
            alloc.setValue('reclaimed_on', new GlideDateTime());
            alloc.update();
            gs.eventQueue('x_acme_itam.license.seat_reclaimed', alloc, alloc.getValue('user'), alloc.license.getDisplayValue());
            reclaimed++;
        }
        return reclaimed;
    },

    // Called when a user leaves: releases all of their active seats
    releaseSeatsForUser: function(userId) {
        var released = 0;
        var alloc = new GlideRecord(this.allocationTable);
        alloc.addQuery('user', userId);
        alloc.addQuery('state', 'active');
        alloc.query();
        while (alloc.next()) {
            alloc.setValue('state', 'released');
            alloc.update();
            released++;
        }
        return released;
    },

    getComplianceReport: function(publisher) {
        var rows = [];
        var license = new GlideRecord('x_acme_itam_software_license');
        license.addActiveQuery();
        if (publisher)
            license.addQuery('publisher.name', publisher);
        license.orderBy('product_name');
        license.query();
        while (license.next()) {
            var purchased = parseInt(license.getValue('purchased_rights'), 10) || 0;
            var available = this.getAvailableSeats(license.getUniqueValue());
            rows.push({
                product: license.getValue('product_name'),
                publisher: license.getDisplayValue('publisher'),
                purchased: purchased,
                allocated: purchased - available,
                compliant: available >= 0
            });
        }
        return rows;
    },

    type: 'SoftwareLicenseService'
};

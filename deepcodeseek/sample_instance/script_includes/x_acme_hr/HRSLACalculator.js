var HRSLACalculator = Class.create();
HRSLACalculator.prototype = {
    initialize: function() {
        this.targets = {
            '1': parseInt(gs.getProperty('x_acme_hr.sla.p1_hours', '8'), 10),
            '2': parseInt(gs.getProperty('x_acme_hr.sla.p2_hours', '24'), 10),
            '3': parseInt(gs.getProperty('x_acme_hr.sla.p3_hours', '72'), 10),
            '4': parseInt(gs.getProperty('x_acme_hr.sla.p4_hours', '120'), 10)
        };
    },

    /**
     * Due date for a case of the given priority opened at openedAt. Targets up to
     * 24 hours are wall-clock; longer ones are counted in business days.
     * @param {string|number} priority 1-4
     * @param {GlideDateTime|string} [openedAt] defaults to now
     * @returns {GlideDateTime}
     */
    calculateDueDate: function(priority, openedAt) {
        var hours = this.getTargetHours(priority);
        var start = openedAt ? new GlideDateTime(openedAt.toString()) : new GlideDateTime();
        if (hours <= 24) {
            start.addSeconds(hours * 3600);
            return start;
        }
        return global.AcmeDateUtils.addBusinessDays(start, Math.ceil(hours / 24));
    },

    getTargetHours: function(priority) {
        return this.targets[String(priority)] || this.targets['4'];
    },

    isBreached: function(caseGr) {
        if (caseGr.due_date.nil())
            return false;
        var due = new GlideDateTime(caseGr.getValue('due_date'));
        var compareTo = caseGr.active ? new GlideDateTime() : new GlideDateTime(caseGr.getValue('closed_at'));
        return compareTo.after(due);
    },

    // Hours left until the due date, negative once breached, rounded to 1 decimal
    getRemainingHours: function(caseGr) {
        if (caseGr.due_date.nil())
            return null;
        var due = new GlideDateTime(caseGr.getValue('due_date'));
        var diffMs = due.getNumericValue() - new GlideDateTime().getNumericValue();
        var pausedMs = (parseInt(caseGr.getValue('paused_duration_seconds'), 10) || 0) * 1000;
        return Math.round((diffMs + pausedMs) / 360000) / 10;
    },

    type: 'HRSLACalculator'
};

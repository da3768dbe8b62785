/**
 * Date helpers shared by all Acme applications. Business days skip Saturdays,
 * Sundays and the dates listed in the acme.calendar.holidays property (yyyy-MM-dd, comma separated).
 */
var AcmeDateUtils = {

    /**
     * Adds business days to a date.
     * @param {GlideDateTime|string} start
     * @param {number} days
     * @returns {GlideDateTime}
     */
    addBusinessDays: function(start, days) {
        var gdt = new GlideDateTime(start ? start.toString() : undefined);
        var holidays = AcmeDateUtils._holidays();
        var added = 0;
        var step = days < 0 ? -1 : 1;
        var target = Math.abs(days);
        while (added < target) {
            gdt.addDaysUTC(step);
            if (AcmeDateUtils.isWeekend(gdt))
                continue;
            if (holidays.indexOf(gdt.getDate().getValue()) > -1)
                continue;
            added++;
        }
        return gdt;
    },

    isWeekend: function(gdt) {
        var day = gdt.getDayOfWeekUTC(); // 1 = Monday ... 7 = Sunday
        return day == 6 || day == 7;
    },

    // Whole days between two date/time values (negative when end is before start)
    daysBetween: function(startValue, endValue) {
        var start = new GlideDateTime(startValue.toString());
        var end = endValue ? new GlideDateTime(endValue.toString()) : new GlideDateTime();
        var ms = end.getNumericValue() - start.getNumericValue();
        return Math.floor(ms / (24 * 60 * 60 * 1000));
    },

    getQuarterStart: function(gdt) {
        var ref = gdt ? new GlideDateTime(gdt.toString()) : new GlideDateTime();
        var month = ref.getMonthUTC();
        var firstMonth = month - ((month - 1) % 3);
        var result = new GlideDateTime();
        result.setValue(ref.getYearUTC() + '-' + (firstMonth < 10 ? '0' : '') + firstMonth + '-01 00:00:00');
        return result;
    },

    toDisplayDate: function(value) {
        if (!value)
            return '';
        var gdt = new GlideDateTime(value.toString());
        return gdt.getDate().getByFormat(gs.getProperty('acme.date.display_format', 'dd MMM yyyy'));
    },

    _holidays: function() {
        var raw = gs.getProperty('acme.calendar.holidays', '');
        return raw ? raw.split(',').map(function(d) { return d.trim(); }) : [];
    },

    type: 'AcmeDateUtils'
};

(function executeRule(current, previous /*null when async*/) {

    // Normal changes need a lead time of N business days for CAB review
    if (current.getValue('type') != 'normal')
        return;

    var leadDays = parseInt(gs.getProperty('acme.change.normal_lead_days', '5'), 10);
    var earliest = AcmeDateUtils.addBusinessDays(new GlideDateTime(), leadDays);

    if (current.start_date.nil() || new GlideDateTime(current.getValue('start_date')).before(earliest)) {
        current.setValue('start_date', earliest);
        gs.addInfoMessage('Planned start moved to ' + AcmeDateUtils.toDisplayDate(earliest) +
            ' (' + leadDays + ' business days lead time for normal changes)');
    }
    if (current.end_date.nil())
        current.setValue('end_date', AcmeDateUtils.addBusinessDays(current.getValue('start_date'), 1));

})(current, previous);

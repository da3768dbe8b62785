(function executeRule(current, previous /*null when async*/) {

    // Due date is recalculated when the case is created or its priority changes,
    // unless an agent has set it by hand (due_date_locked).
    if (current.getValue('due_date_locked') == '1' && !current.isNewRecord())
        return;

    var openedAt = current.opened_at.nil() ? new GlideDateTime() : new GlideDateTime(current.getValue('opened_at'));
    var sla = new HRSLACalculator();
    var due = sla.calculateDueDate(current.getValue('priority'), openedAt);

    // Cases opened for a future start date (onboarding) are due one business day before it
    if (!current.start_date.nil()) {
        var dayBefore = global.AcmeDateUtils.addBusinessDays(current.getValue('start_date') + ' 09:00:00', -1);
        if (dayBefore.after(due))
            due = dayBefore;
    }

    current.setValue('due_date', due);
    if (!current.isNewRecord() && previous && previous.getValue('priority') != current.getValue('priority'))
        current.work_notes = 'Priority changed, due date recalculated to ' + current.getDisplayValue('due_date');

})(current, previous);

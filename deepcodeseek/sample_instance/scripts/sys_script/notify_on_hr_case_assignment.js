(function executeRule(current, previous /*null when async*/) {

    // Skip updates made by integrations and bulk reassignment jobs
    if (gs.getSession().isInteractive() === false && current.getValue('sys_updated_by') == 'system')
        return;

    var helper = new HRNotificationHelper();
    helper.notifyAssignment(current);

    // Let the previous assignee know the case moved on
    if (previous && !previous.assigned_to.nil() && previous.getValue('assigned_to') != current.getValue('assigned_to')) {
        gs.eventQueue('x_acme_hr.case.reassigned', current, previous.getValue('assigned_to'),
            current.getDisplayValue('assigned_to'));
    }

})(current, previous);

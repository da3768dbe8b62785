(function executeRule(current, previous /*null when async*/) {

    if (!current.assigned_to.nil())
        return;

    // Default the assignment group from the HR service when the requester did not pick one
    if (current.assignment_group.nil() && !current.hr_service.nil()) {
        var service = current.hr_service.getRefRecord();
        if (service.isValidRecord() && !service.fulfillment_group.nil())
            current.setValue('assignment_group', service.getValue('fulfillment_group'));
    }

    if (current.assignment_group.nil()) {
        gs.warn('HR case ' + current.getValue('number') + ' has no assignment group; auto-assignment skipped');
        return;
    }

    var caseUtils = new HRCaseUtils();
    var assignee = caseUtils.assignToSpecialist(current);
    if (assignee)
        current.work_notes = 'Auto-assigned to ' + current.getDisplayValue('assigned_to') + ' (lowest open case load)';

})(current, previous);

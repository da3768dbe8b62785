(function executeRule(current, previous /*null when async*/) {

    var leaveServices = gs.getProperty('x_acme_hr.approval_required_services', '').split(',');
    if (leaveServices.indexOf(current.getValue('hr_service')) < 0)
        return;

    var employee = current.getValue('subject_person');
    var managerId = new global.AcmeUserUtils().getManager(employee);
    if (!managerId) {
        current.work_notes = 'No manager found for ' + current.getDisplayValue('subject_person') + '; routed to HR for approval';
        managerId = gs.getProperty('x_acme_hr.fallback_approver');
    }

    var approvals = new global.AcmeApprovalUtils();
    var approvalId = approvals.createApproval(current, managerId, 'HR leave request ' + current.getValue('number'));
    if (approvalId) {
        current.setValue('approval', 'requested');
        current.setValue('state', 18); // Awaiting approval
        current.update();
    }

})(current, previous);

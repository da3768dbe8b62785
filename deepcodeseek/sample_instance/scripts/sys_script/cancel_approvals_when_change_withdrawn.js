(function executeRule(current, previous /*null when async*/) {

    // state 4 = Canceled
    if (current.getValue('state') != '4' || previous.getValue('state') == '4')
        return;

    var logger = new AcmeLogger('ChangeApprovals');
    var approvals = new AcmeApprovalUtils();
    var pending = approvals.getPendingApprovals(current.getUniqueValue());
    if (pending.length === 0)
        return;

    var cancelled = approvals.cancelPendingApprovals(current.getUniqueValue(), 'Change ' + current.getValue('number') + ' was withdrawn');
    logger.info('Cancelled ' + cancelled + ' approval(s) on ' + current.getValue('number'));
    current.work_notes = 'Withdrawn: ' + cancelled + ' pending approval(s) cancelled';

})(current, previous);

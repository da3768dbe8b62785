// "Request Manager Approval" on Requested Item, used when the catalog flow skipped approval
var requestedFor = current.request.requested_for.toString();
var userUtils = new AcmeUserUtils();
var managerId = userUtils.getManager(requestedFor);

if (!managerId) {
    gs.addErrorMessage('No manager on file for ' + current.request.requested_for.getDisplayValue());
} else {
    var approvalUtils = new AcmeApprovalUtils();
    if (approvalUtils.hasPendingApproval(current.getUniqueValue(), managerId)) {
        gs.addInfoMessage('An approval is already pending with the manager');
    } else {
        approvalUtils.createApproval(current, managerId, gs.getUserDisplayName());
        current.setValue('approval', 'requested');
        current.update();
        gs.addInfoMessage('Approval requested from ' + userUtils.getDepartmentName(managerId) + ' manager');
    }
}
action.setRedirectURL(current);

var AcmeApprovalUtils = Class.create();
AcmeApprovalUtils.prototype = {
    initialize: function() {
        this.logger = new AcmeLogger('AcmeApprovalUtils');
    },

    /**
     * Creates a requested approval for a record. When the approver has an active
     * approval delegate, the delegate is noted in the comments.
     * @param {GlideRecord} record document being approved
     * @param {string} approverId sys_user sys_id
     * @param {string} [source] free text shown in the approval comments
     * @returns {string} sys_id of the sysapproval_approver record, '' on failure
     */
    createApproval: function(record, approverId, source) {
        if (!record || !approverId)
            return '';
        if (this.hasPendingApproval(record.getUniqueValue(), approverId))
            return '';

        var approval = new GlideRecord('sysapproval_approver');
        approval.initialize();
        approval.setValue('approver', approverId);
        approval.setValue('source_table', record.getTableName());
        approval.setValue('document_id', record.getUniqueValue());
        if (record.getTableName() == 'change_request' || record.instanceOf('task'))
            approval.setValue('sysapproval', record.getUniqueValue());
        approval.setValue('state', 'requested');
        var delegate = new AcmeUserUtils().getDelegate(approverId, true);
        var comment = 'Approval requested' + (source ? ' by ' + source : '');
        if (delegate)
            comment += '. Delegate on file: ' + delegate;
        approval.comments = comment;
        var id = approval.insert();
        this.logger.info('Created approval ' + id + ' for ' + record.getDisplayValue());
        return id || '';
    },

    getPendingApprovals: function(recordSysId) {
        var result = [];
        var approval = new GlideRecord('sysapproval_approver');
        approval.addQuery('document_id', recordSysId);
        approval.addQuery('state', 'requested');
        approval.query();
        while (approval.next()) {
            result.push({
                sys_id: approval.getUniqueValue(),
                approver: approval.getValue('approver'),
                approver_name: approval.approver.getDisplayValue(),
                created: approval.getValue('sys_created_on')
            });
        }
        return result;
    },

    hasPendingApproval: function(recordSysId, approverId) {
        var approval = new GlideRecord('sysapproval_approver');
        approval.addQuery('document_id', recordSysId);
        approval.addQuery('state', 'requested');
        if (approverId)
            approval.addQuery('approver', approverId);
        approval.setLimit(1);
        approval.query();
        return approval.hasNext();
    },

    // Sets every requested approval on the record to not_required
    cancelPendingApprovals: function(recordSysId, reason) {
        var count = 0;
        var approval = new GlideRecord('sysapproval_approver');
        approval.addQuery('document_id', recordSysId);
        approval.addQuery('state', 'requested');
        approval.query();
        while (approval.next()) {
            approval.setValue('state', 'not_required');
            approval.comments = 'Cancelled: ' + (reason || 'no longer required');
            approval.update();
            count++;
        }
        return count;
    },

    getApprovalHistory: function(recordSysId) {
        var history = [];
        var approval = new GlideRecord('sysapproval_approver');
        approval.addQuery('document_id', recordSysId);
        approval.addQuery('state', 'IN', 'approved,rejected');
        approval.orderBy('sys_updated_on');
        approval.query();
        while (approval.next()) {
            history.push(approval.approver.getDisplayValue() + ' ' + approval.getValue('state') +
                ' on ' + approval.getDisplayValue('sys_updated_on'));
        }
        return history;
    },

    type: 'AcmeApprovalUtils'
};

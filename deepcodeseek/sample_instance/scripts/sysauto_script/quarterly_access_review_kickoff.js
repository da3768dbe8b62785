// Runs daily; does its work only on the first day of a quarter.
var today = new GlideDateTime();
var quarterStart = AcmeDateUtils.getQuarterStart(today);
if (today.getDate().getValue() != quarterStart.getDate().getValue())
    gs.info('Access review kickoff: not the first day of the quarter, nothing to do');
else {
    var approvals = new AcmeApprovalUtils();
    var dueBy = AcmeDateUtils.addBusinessDays(today, 10);
    var created = 0;

    // One review per privileged group, approved by the group manager
    var group = new GlideRecord('sys_user_group');
    group.addActiveQuery();
    group.addQuery('u_privileged', true);
    group.query();
    while (group.next()) {
        var review = new GlideRecord('u_access_review');
        review.initialize();
        review.setValue('u_group', group.getUniqueValue());
        review.setValue('u_due_date', dueBy);
        review.setValue('u_quarter', quarterStart.getDate().getByFormat('yyyy') + '-Q' + (Math.floor((quarterStart.getMonthUTC() - 1) / 3) + 1));
        review.insert();
        if (approvals.createApproval(review, group.getValue('manager'), 'Quarterly access review'))
            created++;
    }
    gs.info('Access review kickoff: ' + created + ' review approval(s) created, due ' + AcmeDateUtils.toDisplayDate(dueBy));
}

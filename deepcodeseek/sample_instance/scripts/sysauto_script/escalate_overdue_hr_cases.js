// Runs hourly. Escalates HR cases past their due date.
var caseUtils = new HRCaseUtils();
var batchSize = parseInt(gs.getProperty('x_acme_hr.escalation_batch', '100'), 10);
var overdue = caseUtils.getOverdueCases(batchSize);
var escalated = 0;

for (var i = 0; i < overdue.length; i++) {
    var hrCase = new GlideRecord('x_acme_hr_case');
    if (!hrCase.get(overdue[i]))
        continue;

    // Cases waiting on the employee are not the agent's fault
    if (hrCase.getValue('state') == '15')
        continue;

    var hoursLate = Math.round((new GlideDateTime().getNumericValue() -
        new GlideDateTime(hrCase.getValue('due_date')).getNumericValue()) / 3600000);
    if (caseUtils.escalateCase(hrCase, 'Overdue by ' + hoursLate + ' hour(s)'))
        escalated++;
}

gs.info('HR escalation job: ' + overdue.length + ' overdue, ' + escalated + ' escalated');

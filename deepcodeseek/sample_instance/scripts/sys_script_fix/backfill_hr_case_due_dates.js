// One-off: cases migrated from the old HR tool have no due date.
var sla = new HRSLACalculator();
var updated = 0;

var hrCase = new GlideRecord('x_acme_hr_case');
hrCase.addNullQuery('due_date');
hrCase.addQuery('sys_created_on', '>=', '2024-01-01 00:00:00');
hrCase.query();
while (hrCase.next()) {
    var due = sla.calculateDueDate(hrCase.getValue('priority'), hrCase.getValue('opened_at'));
    hrCase.setValue('due_date', due);
    hrCase.setWorkflow(false);   // no notifications, no SLA engine
    hrCase.autoSysFields(false); // keep original sys_updated_on
    hrCase.update();
    updated++;
}
gs.info('Backfilled due date on ' + updated + ' HR case(s)');

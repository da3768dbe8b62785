// Weekly on Monday. Sends HR leadership the list of breached cases per group.
var sla = new HRSLACalculator();
var byGroup = {};
var total = 0;

var hrCase = new GlideRecord('x_acme_hr_case');
hrCase.addQuery('sys_created_on', '>=', gs.beginningOfLastWeek());
hrCase.addQuery('sys_created_on', '<', gs.beginningOfThisWeek());
hrCase.query();
while (hrCase.next()) {
    total++;
    if (!sla.isBreached(hrCase))
        continue;
    var group = hrCase.getDisplayValue('assignment_group') || '(unassigned)';
    byGroup[group] = (byGroup[group] || 0) + 1;
}

var lines = [];
for (var g in byGroup)
    lines.push(g + ': ' + byGroup[g]);

var report = new GlideRecord('x_acme_hr_report');
report.initialize();
report.setValue('name', 'SLA breaches week of ' + gs.beginningOfLastWeek());
report.setValue('body', 'Cases opened: ' + total + '\n' + lines.join('\n'));
report.insert();

new global.AcmeNotificationHelper().sendToGroup('HR Leadership', 'x_acme_hr.sla.weekly_report', report, String(total));

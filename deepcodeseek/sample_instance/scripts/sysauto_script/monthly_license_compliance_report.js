// 1st of every month. Builds the license compliance report and mails it to the SAM team.
var rows = new SoftwareLicenseService().getComplianceReport();
var csv = ['Product,Publisher,Purchased,Allocated,Compliant'];
var nonCompliant = 0;

for (var i = 0; i < rows.length; i++) {
    var r = rows[i];
    csv.push([r.product, r.publisher, r.purchased, r.allocated, r.compliant ? 'yes' : 'NO'].join(','));
    if (!r.compliant)
        nonCompliant++;
}

var report = new GlideRecord('x_acme_itam_compliance_report');
report.initialize();
report.setValue('period', new GlideDateTime().getDate().getByFormat('yyyy-MM'));
report.setValue('non_compliant_count', nonCompliant);
var reportId = report.insert();

new GlideSysAttachment().write(report, 'license_compliance.csv', 'text/csv', csv.join('\n'));

var notifier = new global.AcmeNotificationHelper();
notifier.sendToGroup('Software Asset Management', 'x_acme_itam.compliance.report_ready', report, String(nonCompliant));
gs.info('Compliance report ' + reportId + ': ' + nonCompliant + ' non-compliant product(s)');

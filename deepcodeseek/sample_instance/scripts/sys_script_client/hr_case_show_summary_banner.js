function onLoad() {
    if (g_form.isNewRecord())
        return;

    var ga = new GlideAjax('x_acme_hr.HRCaseAjax');
    ga.addParam('sysparm_name', 'getCaseSummary');
    ga.addParam('sysparm_case_id', g_form.getUniqueValue());
    ga.getXMLAnswer(function(answer) {
        var summary = JSON.parse(answer);
        if (!summary || !summary.number)
            return;
        if (summary.breached) {
            g_form.addErrorMessage('SLA breached. Due date was ' + summary.due_date);
        } else if (summary.remaining_hours !== null && summary.remaining_hours < 8) {
            g_form.addInfoMessage('Due in ' + summary.remaining_hours + ' hour(s) (' + summary.due_date + ')');
        }
    });
}

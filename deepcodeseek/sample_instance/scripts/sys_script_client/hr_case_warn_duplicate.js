function onChange(control, oldValue, newValue, isLoading, isTemplate) {
    if (isLoading || newValue === '' || !g_form.isNewRecord())
        return;

    var employee = g_form.getValue('subject_person') || g_form.getValue('opened_for');
    if (!employee)
        return;

    var ga = new GlideAjax('x_acme_hr.HRCaseAjax');
    ga.addParam('sysparm_name', 'checkDuplicateCase');
    ga.addParam('sysparm_user_id', employee);
    ga.addParam('sysparm_hr_service', newValue);
    ga.getXMLAnswer(function(existingNumber) {
        g_form.hideFieldMsg('hr_service', true);
        if (existingNumber) {
            g_form.showFieldMsg('hr_service', 'Case ' + existingNumber +
                ' is already open for this employee and service. Consider updating it instead.', 'error');
        }
    });
}

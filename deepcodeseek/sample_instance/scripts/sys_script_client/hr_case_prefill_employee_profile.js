function onChange(control, oldValue, newValue, isLoading, isTemplate) {
    if (isLoading || newValue === '') {
        if (newValue === '')
            g_form.clearValue('work_location');
        return;
    }

    var ga = new GlideAjax('x_acme_hr.HRCaseAjax');
    ga.addParam('sysparm_name', 'getEmployeeProfile');
    ga.addParam('sysparm_user_id', newValue);
    ga.getXMLAnswer(function(answer) {
        var profile = JSON.parse(answer || '{}');
        if (!profile.name)
            return;
        g_form.setValue('work_location', profile.location || '');
        if (profile.hr_business_partner)
            g_form.setValue('hr_business_partner', profile.hr_business_partner);
        if (profile.contractor)
            g_form.showFieldMsg('subject_person', 'Contingent worker: some HR services do not apply', 'info');
        else
            g_form.hideFieldMsg('subject_person');
    });
}

function onChange(control, oldValue, newValue, isLoading, isTemplate) {
    if (isLoading || newValue === '')
        return;

    // Agents asked to see at a glance whether the employee already has cases in flight
    var ga = new GlideAjax('x_acme_hr.HRCaseAjax');
    ga.addParam('sysparm_name', 'getOpenCaseCount');
    ga.addParam('sysparm_user_id', newValue);
    ga.getXMLAnswer(function(answer) {
        var count = parseInt(answer, 10) || 0;
        g_form.hideFieldMsg('opened_for');
        if (count > 0)
            g_form.showFieldMsg('opened_for', count + ' open HR case(s) for this employee', 'info');
    });
}

function onChange(control, oldValue, newValue, isLoading, isTemplate) {
    if (isLoading || newValue === '') {
        g_form.hideFieldMsg('caller_id');
        return;
    }

    var ga = new GlideAjax('AcmeUserAjax');
    ga.addParam('sysparm_name', 'getUserDetails');
    ga.addParam('sysparm_user_id', newValue);
    ga.getXMLAnswer(function(answer) {
        var user = JSON.parse(answer);
        if (!user.found)
            return;
        if (user.location)
            g_form.setValue('u_caller_location', user.location);
        g_form.setValue('u_caller_phone', user.phone || '');
        g_form.hideFieldMsg('caller_id');
        if (user.vip)
            g_form.showFieldMsg('caller_id', 'VIP caller - ' + user.department, 'error');
        else
            g_form.showFieldMsg('caller_id', user.department + (user.manager ? ', manager ' + user.manager : ''), 'info');
    });
}

function onChange(control, oldValue, newValue, isLoading, isTemplate) {
    if (isLoading || newValue === '')
        return;

    var ga = new GlideAjax('AcmeUserAjax');
    ga.addParam('sysparm_name', 'getManagerName');
    ga.addParam('sysparm_user_id', newValue);
    ga.getXMLAnswer(function(managerName) {
        g_form.setValue('u_requester_manager', managerName);
        if (!managerName)
            g_form.showFieldMsg('requested_by', 'No manager on file; the change will need a department approval', 'info');
        else
            g_form.hideFieldMsg('requested_by');
    });
}

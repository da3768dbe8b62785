function onChange(control, oldValue, newValue, isLoading, isTemplate) {
    if (isLoading || newValue != 'true')
        return;

    // Test the connection before the admin saves an endpoint as active
    var ga = new GlideAjax('x_acme_integ.IntegrationStatusAjax');
    ga.addParam('sysparm_name', 'testConnection');
    ga.addParam('sysparm_endpoint', g_form.getValue('name'));
    ga.getXMLAnswer(function(answer) {
        var result = JSON.parse(answer);
        g_form.hideFieldMsg('active');
        if (result.ok) {
            g_form.showFieldMsg('active', result.message, 'info');
        } else {
            g_form.showFieldMsg('active', 'Connection test failed: ' + result.message, 'error');
            if (!confirm('The endpoint did not answer. Activate anyway?'))
                g_form.setValue('active', 'false');
        }
    });
}

function onChange(control, oldValue, newValue, isLoading, isTemplate) {
    if (isLoading || newValue === '')
        return;

    var ga = new GlideAjax('x_acme_secops.SecOpsAjax');
    ga.addParam('sysparm_name', 'getSimilarIncidents');
    ga.addParam('sysparm_category', newValue);
    ga.addParam('sysparm_incident_id', g_form.getUniqueValue());
    ga.getXMLAnswer(function(answer) {
        var similar = JSON.parse(answer || '[]');
        g_form.hideFieldMsg('category', true);
        if (similar.length === 0)
            return;
        var numbers = similar.map(function(s) { return s.number; }).join(', ');
        g_form.showFieldMsg('category', 'Open incidents in this category: ' + numbers +
            '. Check whether this is part of the same campaign.', 'info');
    });
}

function onSubmit() {
    // Only members of the Major Incident Management group may flag a major incident.
    if (g_form.getValue('u_major_incident') != 'true' || g_scratchpad.majorIncidentChecked)
        return true;

    var ga = new GlideAjax('AcmeUserAjax');
    ga.addParam('sysparm_name', 'checkGroupMembership');
    ga.addParam('sysparm_user_id', g_user.userID);
    ga.addParam('sysparm_group_name', 'Major Incident Management');
    ga.getXMLAnswer(function(isMember) {
        if (isMember == 'true') {
            g_scratchpad.majorIncidentChecked = true;
            g_form.submit(g_form.getActionName());
        } else {
            g_form.showFieldMsg('u_major_incident', 'Only Major Incident Management can set this flag', 'error');
        }
    });
    return false;
}

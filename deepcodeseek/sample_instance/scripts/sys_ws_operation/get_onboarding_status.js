(function process(/*RESTAPIRequest*/ request, /*RESTAPIResponse*/ response) {

    // GET /api/x_acme_hr/hr_cases/onboarding/{user_name}
    var user = new GlideRecord('sys_user');
    if (!user.get('user_name', request.pathParams.user_name)) {
        response.setStatus(404);
        response.setBody({ error: 'Unknown user' });
        return;
    }

    var status = new HROnboardingService().getOnboardingStatus(user.getUniqueValue());
    if (!status) {
        response.setStatus(404);
        response.setBody({ error: 'No onboarding case for this user' });
        return;
    }

    var profile = new GlideRecord('x_acme_hr_employee_profile');
    if (profile.get('user', user.getUniqueValue()))
        status.employee = maskEmployeeId(profile.getValue('employee_number'));
    status.percent_complete = status.tasks_total ? Math.round(100 * status.tasks_done / status.tasks_total) : 0;

    response.setStatus(200);
    response.setBody(status);

})(request, response);

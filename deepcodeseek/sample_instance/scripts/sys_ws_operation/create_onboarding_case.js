(function process(/*RESTAPIRequest*/ request, /*RESTAPIResponse*/ response) {

    // POST /api/x_acme_hr/hr_cases/onboarding  (called by the recruiting system after an offer is signed)
    var body = request.body.data;
    if (!body || !body.user_name || !body.start_date) {
        response.setStatus(400);
        response.setBody({ error: 'user_name and start_date are required' });
        return;
    }
    if (!/^\d{4}-\d{2}-\d{2}$/.test(body.start_date)) {
        response.setStatus(400);
        response.setBody({ error: 'start_date must be yyyy-MM-dd' });
        return;
    }

    var user = new GlideRecord('sys_user');
    if (!user.get('user_name', body.user_name)) {
        response.setStatus(404);
        response.setBody({ error: 'User ' + body.user_name + ' not provisioned yet' });
        return;
    }

    var managerId = '';
    if (body.manager_user_name) {
        var mgr = new GlideRecord('sys_user');
        if (mgr.get('user_name', body.manager_user_name))
            managerId = mgr.getUniqueValue();
    }

    var service = new HROnboardingService();
    var caseId = service.createOnboardingCase(user.getUniqueValue(), body.start_date, managerId);
    if (!caseId) {
        response.setStatus(409);
        response.setBody({ error: 'An onboarding case is already open for ' + body.user_name });
        return;
    }
    response.setStatus(201);
    response.setBody({ sys_id: caseId, status: service.getOnboardingStatus(user.getUniqueValue()) });

})(request, response);

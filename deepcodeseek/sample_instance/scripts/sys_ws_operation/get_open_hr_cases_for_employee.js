(function process(/*RESTAPIRequest*/ request, /*RESTAPIResponse*/ response) {

    // GET /api/x_acme_hr/hr_cases/cases/{employee_number}  (used by the intranet portal)
    var employeeNumber = request.pathParams.employee_number;
    var user = new GlideRecord('sys_user');
    if (!user.get('employee_number', employeeNumber)) {
        response.setStatus(404);
        response.setBody({ error: 'Unknown employee ' + employeeNumber });
        return;
    }

    var caseUtils = new HRCaseUtils();
    var cases = caseUtils.getOpenCasesForEmployee(user.getUniqueValue());

    var includeDetails = request.queryParams.details == 'true';
    if (includeDetails) {
        for (var i = 0; i < cases.length; i++)
            cases[i].summary = caseUtils.getCaseSummary(cases[i].sys_id);
    }

    response.setStatus(200);
    response.setBody({ employee: employeeNumber, count: cases.length, cases: cases });

})(request, response);

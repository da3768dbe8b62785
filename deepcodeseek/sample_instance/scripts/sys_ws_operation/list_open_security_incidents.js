(function process(/*RESTAPIRequest*/ request, /*RESTAPIResponse*/ response) {

    // GET /api/x_acme_secops/soc/incidents?category=phishing&max_severity=2  (SOC wallboard)
    if (!gs.hasRole('x_acme_secops.analyst')) {
        response.setStatus(403);
        response.setBody({ error: 'SOC analyst role required' });
        return;
    }

    var category = request.queryParams.category ? String(request.queryParams.category) : '';
    var maxSeverity = parseInt(request.queryParams.max_severity, 10) || 4;

    var incidents = new SecurityIncidentUtils().getOpenIncidentsByCategory(category);
    var filtered = incidents.filter(function(inc) {
        return parseInt(inc.severity, 10) <= maxSeverity;
    });

    response.setStatus(200);
    response.setHeader('Cache-Control', 'no-store');
    response.setBody({ count: filtered.length, incidents: filtered });

})(request, response);

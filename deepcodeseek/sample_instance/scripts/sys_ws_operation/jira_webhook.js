(function process(/*RESTAPIRequest*/ request, /*RESTAPIResponse*/ response) {

    // POST /api/x_acme_integ/hooks/jira  (Jira Cloud webhook: issue updated)
    var event = request.body.data;
    var correlationId = request.getHeader('x-atlassian-webhook-identifier') || gs.generateGUID();
    var logger = new IntegrationLogger('jira_cloud');
    var logId = logger.logRequest('POST', '/hooks/jira (inbound)', event, correlationId);

    if (!event || !event.issue || !event.issue.key) {
        logger.logResponse(logId, 400, 'missing issue', 0);
        response.setStatus(400);
        return;
    }

    var inc = new GlideRecord('x_acme_secops_incident');
    if (!inc.get('external_reference', event.issue.key)) {
        logger.logResponse(logId, 202, 'no linked record', 0);
        response.setStatus(202);
        return;
    }

    var mapper = new PayloadMapper('secops_incident_jira');
    var changed = mapper.applyResponse(inc, event.issue);
    if (changed)
        inc.update();

    logger.logResponse(logId, 200, 'updated ' + changed + ' field(s) on ' + inc.getValue('number'), 0);
    response.setStatus(200);
    response.setBody({ updated: changed });

})(request, response);

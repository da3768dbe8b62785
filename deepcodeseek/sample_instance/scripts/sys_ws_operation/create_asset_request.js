(function process(/*RESTAPIRequest*/ request, /*RESTAPIResponse*/ response) {

    // POST /api/x_acme_itam/assets/requests
    var data = request.body.data;
    var requester = data.requested_for ? data.requested_for : gs.getUserID();
    var allowedCategories = gs.getProperty('x_acme_itam.requestable_categories', 'laptop,monitor,docking_station,headset').split(',');

    if (allowedCategories.indexOf(data.category) < 0) {
        response.setStatus(400);
        response.setBody({ error: 'Category not requestable: ' + data.category, allowed: allowedCategories });
        return;
    }

    var requests = new AssetRequestService();
    var open = requests.getPendingRequests(requester);
    for (var i = 0; i < open.length; i++) {
        if (open[i].category.toLowerCase() == data.category) {
            response.setStatus(409);
            response.setBody({ error: 'Request ' + open[i].number + ' is already pending for this category' });
            return;
        }
    }

    var reqId = requests.createRequest(requester, data.category, data.justification, data.needed_by);
    response.setStatus(reqId ? 201 : 422);
    response.setBody(reqId ? { sys_id: reqId } : { error: 'Request could not be created' });

})(request, response);

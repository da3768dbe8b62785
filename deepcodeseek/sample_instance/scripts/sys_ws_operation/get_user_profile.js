(function process(/*RESTAPIRequest*/ request, /*RESTAPIResponse*/ response) {

    // GET /api/acme/directory/users/{user_name}/profile  (used by the Acme mobile app)
    var user = new GlideRecord('sys_user');
    if (!user.get('user_name', request.pathParams.user_name) || !user.active) {
        response.setStatus(404);
        response.setBody({ error: 'User not found' });
        return;
    }

    var userUtils = new AcmeUserUtils();
    var managerId = userUtils.getManager(user.getUniqueValue());
    var manager = new GlideRecord('sys_user');
    manager.get(managerId);

    response.setStatus(200);
    response.setBody({
        user_name: user.getValue('user_name'),
        name: user.getDisplayValue(),
        title: user.getValue('title'),
        department: userUtils.getDepartmentName(user.getUniqueValue()),
        manager: manager.isValidRecord() ? manager.getDisplayValue() : null,
        vip: userUtils.isVip(user.getUniqueValue())
    });

})(request, response);

// Every 15 minutes. Calls the health path of each active endpoint and records the result.
var endpoint = new GlideRecord('x_acme_integ_endpoint');
endpoint.addActiveQuery();
endpoint.addNotNullQuery('health_path');
endpoint.query();

while (endpoint.next()) {
    var name = endpoint.getValue('name');
    var healthy = false;
    try {
        var client = new AcmeRestClient(name);
        var res = client.get(endpoint.getValue('health_path'));
        healthy = res.ok;
        endpoint.setValue('last_health_status', res.status);
    } catch (e) {
        endpoint.setValue('last_health_status', 0);
        gs.error('Health check for ' + name + ' threw: ' + e.message);
    }
    if (!healthy && endpoint.getValue('healthy') == '1')
        gs.eventQueue('x_acme_integ.endpoint.down', endpoint, name, endpoint.getValue('base_url'));
    endpoint.setValue('healthy', healthy);
    endpoint.setValue('last_health_check', new GlideDateTime());
    endpoint.update();
}

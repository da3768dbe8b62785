(function process(/*RESTAPIRequest*/ request, /*RESTAPIResponse*/ response) {

    // POST /api/x_acme_secops/soc/indicators/lookup  body: {"indicators": ["1.2.3.4", "evil[.]com"]}
    var indicators = (request.body.data && request.body.data.indicators) || [];
    if (!indicators.length || indicators.length > 50) {
        response.setStatus(400);
        response.setBody({ error: 'Send between 1 and 50 indicators' });
        return;
    }

    var intel = new ThreatIntelLookup();
    var results = [];
    for (var i = 0; i < indicators.length; i++) {
        var type = IOCNormalizer.detectType(indicators[i]);
        if (type == 'unknown') {
            results.push({ input: indicators[i], error: 'unrecognised indicator' });
            continue;
        }
        var res = intel.lookupIndicator(indicators[i]);
        res.input = indicators[i];
        res.defanged = IOCNormalizer.defang(res.value);
        results.push(res);
    }

    response.setStatus(200);
    response.setBody({ results: results });

})(request, response);

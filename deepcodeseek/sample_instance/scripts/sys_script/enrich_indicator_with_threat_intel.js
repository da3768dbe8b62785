(function executeRule(current, previous /*null when async*/) {

    // async after insert: external lookup must not block the analyst's form
    var internalRanges = gs.getProperty('x_acme_secops.internal_prefixes', '10.,192.168.,172.16.').split(',');
    var value = current.getValue('value');
    for (var i = 0; i < internalRanges.length; i++) {
        if (current.getValue('type') == 'ip' && value.indexOf(internalRanges[i]) === 0)
            return;
    }

    var intel = new ThreatIntelLookup();
    var result = intel.lookupIndicator(value);

    current.setValue('verdict', result.verdict);
    current.setValue('ti_score', result.score);
    current.setValue('ti_source', result.source);
    if (result.tags && result.tags.length)
        current.setValue('ti_tags', result.tags.join(', '));
    current.update();

    if (result.verdict == 'malicious' && !current.incident.nil()) {
        var inc = current.incident.getRefRecord();
        inc.work_notes = 'Malicious indicator confirmed: ' + current.getValue('defanged_value') + ' (score ' + result.score + ')';
        inc.update();
    }

})(current, previous);

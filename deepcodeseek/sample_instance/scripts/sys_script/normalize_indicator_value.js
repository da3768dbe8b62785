(function executeRule(current, previous /*null when async*/) {

    var raw = current.getValue('value');
    if (!raw)
        return;

    var type = current.getValue('type') || IOCNormalizer.detectType(raw);
    if (type == 'unknown') {
        gs.addErrorMessage('Could not recognise the indicator type of "' + raw + '"');
        current.setAbortAction(true);
        return;
    }

    var normalized = IOCNormalizer.normalize(raw, type);
    current.setValue('type', type);
    current.setValue('value', normalized);
    current.setValue('defanged_value', IOCNormalizer.defang(normalized));

    // Duplicate check on the same incident
    var dup = new GlideRecord('x_acme_secops_indicator');
    dup.addQuery('incident', current.getValue('incident'));
    dup.addQuery('value', normalized);
    dup.addQuery('sys_id', '!=', current.getUniqueValue());
    dup.query();
    if (dup.hasNext()) {
        gs.addErrorMessage('Indicator ' + normalized + ' is already on this incident');
        current.setAbortAction(true);
    }

})(current, previous);

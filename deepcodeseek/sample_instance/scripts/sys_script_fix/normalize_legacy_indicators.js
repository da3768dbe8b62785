// One-off: indicators imported from the old SIRT spreadsheet were stored defanged and mixed case.
var merged = 0, normalized = 0;
var ioc = new GlideRecord('x_acme_secops_indicator');
ioc.addQuery('source', 'legacy_import');
ioc.query();

while (ioc.next()) {
    var type = IOCNormalizer.detectType(ioc.getValue('value'));
    var value = IOCNormalizer.normalize(ioc.getValue('value'), type);
    if (!value)
        continue;

    var dup = new GlideRecord('x_acme_secops_indicator');
    dup.addQuery('value', value);
    dup.addQuery('incident', ioc.getValue('incident'));
    dup.addQuery('sys_id', '!=', ioc.getUniqueValue());
    dup.query();
    if (dup.next()) {
        ioc.deleteRecord();
        merged++;
        continue;
    }
    ioc.setValue('type', type);
    ioc.setValue('value', value);
    ioc.setValue('defanged_value', IOCNormalizer.defang(value));
    ioc.setWorkflow(false);
    ioc.update();
    normalized++;
}
gs.info('Legacy indicators: ' + normalized + ' normalized, ' + merged + ' duplicate(s) removed');

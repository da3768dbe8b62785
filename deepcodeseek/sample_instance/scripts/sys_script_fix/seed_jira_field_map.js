// One-off: creates the field map for security incident -> Jira and checks it with a sample record.
var rows = [
    { source: 'short_description', target: 'fields.summary', transform: '' },
    { source: 'description', target: 'fields.description', transform: '' },
    { source: 'severity', target: 'fields.priority.name', transform: 'priority_to_jira' },
    { source: 'number', target: 'fields.customfield_10031', transform: '' }
];

for (var i = 0; i < rows.length; i++) {
    var map = new GlideRecord('x_acme_integ_field_map');
    map.addQuery('mapping', 'secops_incident_jira');
    map.addQuery('source_field', rows[i].source);
    map.query();
    if (!map.next())
        map.initialize();
    map.setValue('mapping', 'secops_incident_jira');
    map.setValue('source_field', rows[i].source);
    map.setValue('target_path', rows[i].target);
    map.setValue('transform', rows[i].transform);
    map.setValue('direction', 'outbound');
    map.setValue('order', (i + 1) * 100);
    map.setValue('active', true);
    map.update();
}

var sample = new GlideRecord('x_acme_secops_incident');
sample.setLimit(1);
sample.query();
if (sample.next())
    gs.info('Sample payload: ' + JSON.stringify(new PayloadMapper('secops_incident_jira').toPayload(sample)));

// Daily. Flags hardware requests that will miss their needed-by date.
var service = new AssetRequestService();
var pending = service.getPendingRequests();
var today = new GlideDateTime();
var atRisk = [];

for (var i = 0; i < pending.length; i++) {
    var req = pending[i];
    if (!req.needed_by)
        continue;
    var daysLeft = Math.floor((new GlideDateTime(req.needed_by).getNumericValue() - today.getNumericValue()) / 86400000);
    if (daysLeft <= 2)
        atRisk.push(req.number + ' (' + req.category + ', ' + (daysLeft < 0 ? 'late ' + (-daysLeft) + 'd' : daysLeft + 'd left') + ')');
}

if (atRisk.length) {
    var group = new GlideRecord('sys_user_group');
    if (group.get('name', 'IT Asset Fulfillment'))
        gs.eventQueue('x_acme_itam.request.at_risk_digest', group, group.getUniqueValue(), atRisk.join('\n'));
}
gs.info('Asset request digest: ' + atRisk.length + ' at risk of ' + pending.length + ' pending');

// Every 2 hours. Applies Workday worker changes (moves, manager changes, terminations) to sys_user.
var lastRunProp = 'x_acme_integ.workday.last_sync';
var since = gs.getProperty(lastRunProp) || '2025-01-01 00:00:00';
var runStarted = new GlideDateTime();

var workday = new WorkdayConnector();
var changes = workday.getOrgChanges(since);
var synced = 0, skipped = 0;

for (var i = 0; i < changes.length; i++) {
    var employeeId = changes[i].employeeId;
    if (!employeeId) {
        skipped++;
        continue;
    }
    if (workday.syncWorkerToUser(employeeId))
        synced++;
    else
        skipped++;
}

gs.setProperty(lastRunProp, runStarted.getValue());
gs.info('Workday sync since ' + since + ': ' + changes.length + ' change(s), ' + synced + ' synced, ' + skipped + ' skipped');

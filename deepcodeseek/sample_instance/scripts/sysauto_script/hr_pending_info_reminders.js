// Daily 08:00. Reminds employees about HR cases waiting for their input.
var helper = new HRNotificationHelper();
var reminderEveryDays = parseInt(gs.getProperty('x_acme_hr.info_reminder.interval_days', '2'), 10);
var sent = 0;

var hrCase = new GlideRecord('x_acme_hr_case');
hrCase.addActiveQuery();
hrCase.addQuery('state', 15); // Awaiting info
hrCase.query();
while (hrCase.next()) {
    var waiting = global.AcmeDateUtils.daysBetween(hrCase.getValue('awaiting_info_since'));
    var sinceLast = hrCase.last_reminder_on.nil() ? waiting :
        global.AcmeDateUtils.daysBetween(hrCase.getValue('last_reminder_on'));
    if (waiting < reminderEveryDays || sinceLast < reminderEveryDays)
        continue;
    if (helper.sendPendingInfoReminder(hrCase, waiting))
        sent++;
}
gs.info('HR info reminders sent: ' + sent);

// List/form action "Send Reminder" for cases in Awaiting Info (state 15)
if (current.getValue('state') != '15') {
    gs.addErrorMessage('Reminders can only be sent while the case is awaiting information');
} else {
    var waitingSince = current.getValue('awaiting_info_since') || current.getValue('sys_updated_on');
    var days = global.AcmeDateUtils.daysBetween(waitingSince);

    var helper = new HRNotificationHelper();
    if (helper.sendPendingInfoReminder(current, days)) {
        gs.addInfoMessage('Reminder sent to ' + current.getDisplayValue('opened_for') + ' (waiting ' + days + ' day(s))');
    } else {
        gs.addErrorMessage('Maximum number of reminders reached; the assignee has been notified instead');
    }
}
action.setRedirectURL(current);

(function executeRule(current, previous /*null when async*/) {

    // Cases created on behalf of someone else by HR agents notify the subject person too
    var notifier = new HRNotificationHelper();
    notifier.notifyCaseOpened(current);

    var profile = new GlideRecord('x_acme_hr_employee_profile');
    if (profile.get('user', current.getValue('subject_person'))) {
        gs.info('HR case ' + current.getValue('number') + ' opened for employee ' +
            maskEmployeeId(profile.getValue('employee_number')) + ' via ' + current.getValue('contact_type'));
    }

})(current, previous);

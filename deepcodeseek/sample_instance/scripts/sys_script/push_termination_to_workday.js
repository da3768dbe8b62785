(function executeRule(current, previous /*null when async*/) {

    var offboardingService = gs.getProperty('x_acme_hr.offboarding_service_id');
    if (current.getValue('hr_service') != offboardingService)
        return;

    var logger = new global.AcmeLogger('HR Offboarding');
    var profile = new GlideRecord('x_acme_hr_employee_profile');
    if (!profile.get('user', current.getValue('subject_person'))) {
        logger.warn('No employee profile for ' + current.getDisplayValue('subject_person') + ' on ' + current.getValue('number'));
        return;
    }

    var terminationDate = current.getValue('last_working_day') || new GlideDateTime().getDate().getValue();
    var workday = new x_acme_integ.WorkdayConnector();
    var ok = workday.pushTermination(profile.getValue('employee_number'), terminationDate, current.getValue('termination_reason'));

    if (ok) {
        current.work_notes = 'Termination sent to Workday (' + terminationDate + ')';
        logger.info('Termination pushed for case ' + current.getValue('number'));
    } else {
        current.work_notes = 'Workday termination call failed; see integration log';
        logger.error('Workday termination failed for case ' + current.getValue('number'));
    }
    current.setWorkflow(false);
    current.update();

})(current, previous);

(function executeRule(current, previous /*null when async*/) {

    var onboardingService = gs.getProperty('x_acme_hr.onboarding_service_id');
    if (current.getValue('hr_service') != onboardingService)
        return;

    if (current.start_date.nil()) {
        current.work_notes = 'No start date on onboarding case; tasks not generated';
        current.update();
        return;
    }

    var onboarding = new HROnboardingService();
    var taskCount = onboarding.generateOnboardingTasks(current);

    // Equipment bundle depends on the position of the new hire
    var profile = new GlideRecord('x_acme_hr_employee_profile');
    var equipment = '';
    if (profile.get('user', current.getValue('subject_person')) && !profile.position.nil())
        equipment = profile.position.equipment_profile.toString();

    var requests = onboarding.requestEquipment(current, equipment);
    current.work_notes = taskCount + ' onboarding task(s) created, ' + requests.length + ' equipment request(s) raised';
    current.update();

})(current, previous);

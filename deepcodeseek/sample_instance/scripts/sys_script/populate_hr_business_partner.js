(function executeRule(current, previous /*null when async*/) {

    if (current.subject_person.nil())
        current.setValue('subject_person', current.getValue('opened_for'));

    var profile = new HREmployeeProfile(current.getValue('subject_person'));
    var partner = profile.getHRBusinessPartner();
    if (partner)
        current.setValue('hr_business_partner', partner);

    // Contractor cases go to the contingent workforce team instead of regular HR ops
    if (profile.isContractor()) {
        var group = new GlideRecord('sys_user_group');
        if (group.get('name', gs.getProperty('x_acme_hr.contingent_group', 'HR Contingent Workforce')))
            current.setValue('assignment_group', group.getUniqueValue());
    }

    current.setValue('work_location', profile.getWorkLocation());

})(current, previous);

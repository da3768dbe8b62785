var HREmployeeProfile = Class.create();
HREmployeeProfile.prototype = {
    /**
     * @param {string} userId sys_user sys_id of the employee
     */
    initialize: function(userId) {
        this.userId = userId;
        this.profile = new GlideRecord('x_acme_hr_employee_profile');
        this.found = !!userId && this.profile.get('user', userId);
    },

    getProfile: function() {
        if (!this.found)
            return null;
        var user = this.profile.user.getRefRecord();
        return {
            employee_number: this.profile.getValue('employee_number'),
            name: user.getDisplayValue(),
            job_title: this.profile.getDisplayValue('position'),
            department: user.department.getDisplayValue(),
            location: this.getWorkLocation(),
            employment_type: this.profile.getDisplayValue('employment_type'),
            hire_date: this.profile.getValue('employment_start_date'),
            tenure_years: this.getTenureYears()
        };
    },

    // Completed years since employment_start_date
    getTenureYears: function() {
        if (!this.found || this.profile.employment_start_date.nil())
            return 0;
        var start = new GlideDateTime(this.profile.getValue('employment_start_date') + ' 00:00:00');
        var now = new GlideDateTime();
        var years = now.getYearUTC() - start.getYearUTC();
        if (now.getMonthUTC() < start.getMonthUTC() ||
            (now.getMonthUTC() == start.getMonthUTC() && now.getDayOfMonthUTC() < start.getDayOfMonthUTC()))
            years--;
        return Math.max(years, 0);
    },

    isContractor: function() {
        if (!this.found)
            return false;
        var type = this.profile.getValue('employment_type');
        return type == 'contractor' || type == 'contingent';
    },

    /**
     * HR business partner for the employee: the profile override first, then the
     * partner configured on the department.
     */
    getHRBusinessPartner: function() {
        if (!this.found)
            return '';
        if (!this.profile.hr_business_partner.nil())
            return this.profile.getValue('hr_business_partner');
        var map = new GlideRecord('x_acme_hr_department_partner');
        map.addQuery('department', this.profile.user.department);
        map.addActiveQuery();
        map.setLimit(1);
        map.query();
        return map.next() ? map.getValue('hr_business_partner') : '';
    },

    getWorkLocation: function() {
        if (!this.found)
            return '';
        if (this.profile.getValue('remote') == '1')
            return 'Remote (' + this.profile.user.country.getDisplayValue() + ')';
        return this.profile.user.location.getDisplayValue();
    },

    type: 'HREmployeeProfile'
};

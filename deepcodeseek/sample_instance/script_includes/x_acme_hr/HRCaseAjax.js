var HRCaseAjax = Class.create();
HRCaseAjax.prototype = Object.extendsObject(global.AbstractAjaxProcessor, {

    /**
     * Summary of one HR case for the agent form banner.
     * Params: sysparm_case_id
     */
    getCaseSummary: function() {
        var caseId = this.getParameter('sysparm_case_id');
        var summary = new HRCaseUtils().getCaseSummary(caseId);
        return JSON.stringify(summary || {});
    },

    /**
     * Employee profile fields used to prefill the case form.
     * Params: sysparm_user_id
     */
    getEmployeeProfile: function() {
        var userId = this.getParameter('sysparm_user_id');
        if (!userId)
            return JSON.stringify({});
        var profile = new HREmployeeProfile(userId);
        var data = profile.getProfile() || {};
        data.hr_business_partner = profile.getHRBusinessPartner();
        data.contractor = profile.isContractor();
        return JSON.stringify(data);
    },

    // Returns the number of an open case for the same person and HR service, or ''
    checkDuplicateCase: function() {
        var userId = this.getParameter('sysparm_user_id');
        var service = this.getParameter('sysparm_hr_service');
        if (!userId || !service)
            return '';
        var hrCase = new GlideRecord('x_acme_hr_case');
        hrCase.addActiveQuery();
        hrCase.addQuery('subject_person', userId);
        hrCase.addQuery('hr_service', service);
        hrCase.orderByDesc('opened_at');
        hrCase.setLimit(1);
        hrCase.query();
        return hrCase.next() ? hrCase.getValue('number') : '';
    },

    getOpenCaseCount: function() {
        var userId = this.getParameter('sysparm_user_id');
        var agg = new GlideAggregate('x_acme_hr_case');
        agg.addActiveQuery();
        agg.addQuery('subject_person', userId);
        agg.addAggregate('COUNT');
        agg.query();
        return agg.next() ? agg.getAggregate('COUNT') : '0';
    },

    type: 'HRCaseAjax'
});

var HROnboardingService = Class.create();
HROnboardingService.prototype = {
    initialize: function() {
        this.onboardingService = gs.getProperty('x_acme_hr.onboarding_service_id');
        this.notifier = new HRNotificationHelper();
    },

    /**
     * Opens an onboarding case for a new hire.
     * @param {string} newHireUserId sys_user of the new hire
     * @param {string} startDate yyyy-MM-dd
     * @param {string} [managerId] hiring manager; defaults to the user's manager
     * @returns {string} sys_id of the new x_acme_hr_case, '' when one is already open
     */
    createOnboardingCase: function(newHireUserId, startDate, managerId) {
        var existing = new GlideRecord('x_acme_hr_case');
        existing.addActiveQuery();
        existing.addQuery('subject_person', newHireUserId);
        existing.addQuery('hr_service', this.onboardingService);
        existing.query();
        if (existing.hasNext())
            return '';

        var hire = new GlideRecord('sys_user');
        if (!hire.get(newHireUserId))
            return '';
        var hrCase = new GlideRecord('x_acme_hr_case');
        hrCase.initialize();
        hrCase.setValue('hr_service', this.onboardingService);
        hrCase.setValue('subject_person', newHireUserId);
        hrCase.setValue('opened_for', managerId || hire.getValue('manager'));
        hrCase.setValue('start_date', startDate);
        hrCase.setValue('priority', 3);
        hrCase.setValue('short_description', 'Onboarding: ' + hire.getDisplayValue() + ' starting ' + startDate);
        var caseId = hrCase.insert();
        if (caseId)
            this.notifier.notifyCaseOpened(hrCase);
        return caseId || '';
    },

    // Creates the standard onboarding tasks from the task template table
    generateOnboardingTasks: function(caseGr) {
        var created = 0;
        var tpl = new GlideRecord('x_acme_hr_task_template');
        tpl.addQuery('hr_service', caseGr.getValue('hr_service'));
        tpl.addActiveQuery();
        tpl.orderBy('order');
        tpl.query();
        while (tpl.next()) {
            var task = new GlideRecord('x_acme_hr_task');
            task.initialize();
            task.setValue('parent', caseGr.getUniqueValue());
            task.setValue('short_description', tpl.getValue('short_description'));
            task.setValue('assignment_group', tpl.getValue('assignment_group'));
            task.setValue('order', tpl.getValue('order'));
            var offset = parseInt(tpl.getValue('due_offset_days'), 10) || 0;
            var due = new GlideDateTime(caseGr.getValue('start_date') + ' 09:00:00');
            due.addDaysUTC(offset);
            task.setValue('due_date', due);
            if (task.insert())
                created++;
        }
        return created;
    },

    /**
     * Asks ITAM for the hardware bundle of the new hire's job profile.
     */
    requestEquipment: function(caseGr, equipmentProfile) {
        var assetRequests = new x_acme_itam.AssetRequestService();
        var categories = (equipmentProfile || gs.getProperty('x_acme_hr.default_equipment', 'laptop,monitor')).split(',');
        var neededBy = new GlideDateTime(caseGr.getValue('start_date') + ' 08:00:00');
        neededBy.addDaysUTC(-2);
        var ids = [];
        for (var i = 0; i < categories.length; i++) {
            var reqId = assetRequests.createRequest(caseGr.getValue('subject_person'), categories[i].trim(),
                'Onboarding ' + caseGr.getValue('number'), neededBy);
            if (reqId)
                ids.push(reqId);
        }
        caseGr.work_notes = 'Equipment requested: ' + ids.length + ' request(s)';
        return ids;
    },

    completeOnboarding: function(caseSysId) {
        var open = new GlideAggregate('x_acme_hr_task');
        open.addQuery('parent', caseSysId);
        open.addActiveQuery();
        open.addAggregate('COUNT');
        open.query();
        if (open.next() && parseInt(open.getAggregate('COUNT'), 10) > 0)
            return false;
        return new HRCaseUtils().closeCase(caseSysId, 'onboarding_complete', 'All onboarding tasks completed');
    },

    getOnboardingStatus: function(userId) {
        var hrCase = new GlideRecord('x_acme_hr_case');
        hrCase.addQuery('subject_person', userId);
        hrCase.addQuery('hr_service', this.onboardingService);
        hrCase.orderByDesc('opened_at');
        hrCase.setLimit(1);
        hrCase.query();
        if (!hrCase.next())
            return null;
        var total = 0, done = 0;
        var task = new GlideRecord('x_acme_hr_task');
        task.addQuery('parent', hrCase.getUniqueValue());
        task.query();
        while (task.next()) {
            total++;
            if (!task.active)
                done++;
        }
        return { number: hrCase.getValue('number'), state: hrCase.getDisplayValue('state'),
            start_date: hrCase.getValue('start_date'), tasks_total: total, tasks_done: done };
    },

    type: 'HROnboardingService'
};

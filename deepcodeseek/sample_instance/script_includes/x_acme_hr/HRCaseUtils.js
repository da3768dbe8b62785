var HRCaseUtils = Class.create();
HRCaseUtils.prototype = Object.extendsObject(global.AcmeBaseUtils, {

    initialize: function() {
        global.AcmeBaseUtils.prototype.initialize.call(this, 'x_acme_hr_case');
        this.sla = new HRSLACalculator();
        this.escalationGroup = gs.getProperty('x_acme_hr.escalation_group', 'HR Tier 2');
    },

    /**
     * Open HR cases whose due date has passed and which have not been escalated yet.
     * @param {number} [limit] maximum number of cases, default 200
     * @returns {Array} sys_ids of overdue cases, oldest first
     */
    getOverdueCases: function(limit) {
        var ids = [];
        var hrCase = new GlideRecord('x_acme_hr_case');
        hrCase.addActiveQuery();
        hrCase.addQuery('due_date', '<', new GlideDateTime());
        hrCase.addQuery('escalated', false);
        hrCase.addQuery('state', 'NOT IN', '18,20'); // awaiting acceptance, suspended
        hrCase.orderBy('due_date');
        hrCase.setLimit(limit || 200);
        hrCase.query();
        while (hrCase.next())
            ids.push(hrCase.getUniqueValue());
        return ids;
    },

    /**
     * Escalates a case to the tier 2 group and raises the priority by one.
     * @param {GlideRecord} caseGr
     * @param {string} reason shown in the work notes
     */
    escalateCase: function(caseGr, reason) {
        if (!caseGr || caseGr.getValue('escalated') == '1')
            return false;
        var priority = parseInt(caseGr.getValue('priority'), 10) || 4;
        if (priority > 1)
            caseGr.setValue('priority', priority - 1);
        var group = new GlideRecord('sys_user_group');
        if (group.get('name', this.escalationGroup)) {
            caseGr.setValue('assignment_group', group.getUniqueValue());
            caseGr.setValue('assigned_to', '');
        }
        caseGr.setValue('escalated', true);
        caseGr.setValue('escalated_on', new GlideDateTime());
        this.addWorkNote(caseGr, 'Case escalated to ' + this.escalationGroup + ': ' + (reason || 'due date passed'));
        caseGr.update();
        gs.eventQueue('x_acme_hr.case.escalated', caseGr, caseGr.getValue('assignment_group'), reason || '');
        return true;
    },

    getCaseSummary: function(caseSysId) {
        var caseGr = this.getRecord(caseSysId);
        if (!caseGr)
            return null;
        return {
            number: caseGr.getValue('number'),
            state: caseGr.getDisplayValue('state'),
            priority: caseGr.getDisplayValue('priority'),
            hr_service: caseGr.getDisplayValue('hr_service'),
            opened_for: caseGr.getDisplayValue('opened_for'),
            assigned_to: caseGr.getDisplayValue('assigned_to'),
            due_date: caseGr.getDisplayValue('due_date'),
            breached: this.sla.isBreached(caseGr),
            remaining_hours: this.sla.getRemainingHours(caseGr),
            short_description: caseGr.getValue('short_description')
        };
    },

    // Picks the specialist in the case's assignment group with the fewest open cases
    assignToSpecialist: function(caseGr) {
        var groupId = caseGr.getValue('assignment_group');
        if (!groupId)
            return '';
        var best = '';
        var bestLoad = Number.MAX_VALUE;
        var member = new GlideRecord('sys_user_grmember');
        member.addQuery('group', groupId);
        member.addQuery('user.active', true);
        member.query();
        while (member.next()) {
            var userId = member.getValue('user');
            var load = this.countWhere('active=true^assigned_to=' + userId);
            if (load < bestLoad) {
                bestLoad = load;
                best = userId;
            }
        }
        if (best)
            caseGr.setValue('assigned_to', best);
        return best;
    },

    getOpenCasesForEmployee: function(userId) {
        var cases = [];
        var hrCase = new GlideRecord('x_acme_hr_case');
        hrCase.addActiveQuery();
        hrCase.addQuery('opened_for', userId).addOrCondition('subject_person', userId);
        hrCase.orderByDesc('opened_at');
        hrCase.query();
        while (hrCase.next()) {
            cases.push({
                sys_id: hrCase.getUniqueValue(),
                number: hrCase.getValue('number'),
                state: hrCase.getDisplayValue('state'),
                hr_service: hrCase.getDisplayValue('hr_service')
            });
        }
        return cases;
    },

    /**
     * Closes a case as complete and closes its open HR tasks.
     */
    closeCase: function(caseSysId, resolutionCode, notes) {
        var caseGr = this.getRecord(caseSysId);
        if (!caseGr || !caseGr.active)
            return false;
        var task = new GlideRecord('x_acme_hr_task');
        task.addQuery('parent', caseSysId);
        task.addActiveQuery();
        task.query();
        while (task.next()) {
            task.setValue('state', 3);
            task.work_notes = 'Closed with parent case ' + caseGr.getValue('number');
            task.update();
        }
        caseGr.setValue('state', 3);
        caseGr.setValue('resolution_code', resolutionCode || 'resolved');
        caseGr.setValue('close_notes', notes || '');
        caseGr.setValue('closed_at', new GlideDateTime());
        caseGr.setValue('closed_by', gs.getUserID());
        return !!caseGr.update();
    },

    type: 'HRCaseUtils'
});

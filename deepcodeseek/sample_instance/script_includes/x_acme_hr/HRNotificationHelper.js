var HRNotificationHelper = Class.create();
HRNotificationHelper.prototype = {
    initialize: function() {
        this.confidentialServices = gs.getProperty('x_acme_hr.confidential_services', '').split(',');
    },

    /**
     * Tells the employee that their case was received. Confidential cases use a
     * notification without the short description.
     */
    notifyCaseOpened: function(caseGr) {
        var recipient = caseGr.getValue('opened_for');
        if (!recipient)
            return;
        var eventName = this._isConfidential(caseGr) ? 'x_acme_hr.case.opened.confidential' : 'x_acme_hr.case.opened';
        gs.eventQueue(eventName, caseGr, recipient, caseGr.getValue('subject_person'));
    },

    notifyAssignment: function(caseGr) {
        if (caseGr.assigned_to.nil()) {
            gs.eventQueue('x_acme_hr.case.group_assigned', caseGr, caseGr.getValue('assignment_group'), '');
            return;
        }
        gs.eventQueue('x_acme_hr.case.assigned', caseGr, caseGr.getValue('assigned_to'), caseGr.getDisplayValue('priority'));
    },

    /**
     * Reminds the employee that the case is waiting on them. After the configured
     * number of reminders the HR business partner is copied.
     * @param {GlideRecord} caseGr
     * @param {number} daysWaiting days since the case went to Awaiting Info
     */
    sendPendingInfoReminder: function(caseGr, daysWaiting) {
        var maxReminders = parseInt(gs.getProperty('x_acme_hr.info_reminder.max', '3'), 10);
        var sent = parseInt(caseGr.getValue('reminder_count'), 10) || 0;
        if (sent >= maxReminders) {
            gs.eventQueue('x_acme_hr.case.info_overdue', caseGr, caseGr.getValue('assigned_to'), String(daysWaiting));
            return false;
        }
        gs.eventQueue('x_acme_hr.case.info_reminder', caseGr, caseGr.getValue('opened_for'), String(daysWaiting));
        if (sent + 1 == maxReminders) {
            var hrbp = new HREmployeeProfile(caseGr.getValue('subject_person')).getHRBusinessPartner();
            if (hrbp)
                gs.eventQueue('x_acme_hr.case.info_reminder', caseGr, hrbp, String(daysWaiting));
        }
        caseGr.setValue('reminder_count', sent + 1);
        caseGr.setValue('last_reminder_on', new GlideDateTime());
        caseGr.update();
        return true;
    },

    notifyResolution: function(caseGr) {
        var recipients = [caseGr.getValue('opened_for')];
        var subject = caseGr.getValue('subject_person');
        if (subject && recipients.indexOf(subject) < 0 && !this._isConfidential(caseGr))
            recipients.push(subject);
        gs.eventQueue('x_acme_hr.case.resolved', caseGr, recipients.join(','), caseGr.getValue('close_notes'));
    },

    _isConfidential: function(caseGr) {
        if (caseGr.getValue('confidential') == '1')
            return true;
        return this.confidentialServices.indexOf(caseGr.getValue('hr_service')) > -1;
    },

    type: 'HRNotificationHelper'
};

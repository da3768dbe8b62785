var AcmeNotificationHelper = Class.create();
AcmeNotificationHelper.prototype = {
    initialize: function() {
        this.logger = new AcmeLogger('AcmeNotificationHelper');
        this.quietStart = parseInt(gs.getProperty('acme.notify.quiet_hours_start', '22'), 10);
        this.quietEnd = parseInt(gs.getProperty('acme.notify.quiet_hours_end', '6'), 10);
    },

    /**
     * Fires an event for every active member of a group. parm1 is the member's
     * sys_id, parm2 is passed through.
     * @returns {number} how many events were queued
     */
    sendToGroup: function(groupName, eventName, record, parm2) {
        var queued = 0;
        var member = new GlideRecord('sys_user_grmember');
        member.addQuery('group.name', groupName);
        member.addQuery('user.active', true);
        member.addQuery('user.notification', 2);
        member.query();
        while (member.next()) {
            gs.eventQueue(eventName, record, member.getValue('user'), parm2 || '');
            queued++;
        }
        if (queued === 0)
            this.logger.warn('No active recipients in group ' + groupName + ' for ' + eventName);
        return queued;
    },

    sendToUser: function(userId, eventName, record, parm2) {
        if (!userId) {
            this.logger.warn('sendToUser called without a user for ' + eventName);
            return false;
        }
        gs.eventQueue(eventName, record, userId, parm2 || this.buildRecordLink(record));
        return true;
    },

    /**
     * Queues the event for the user's manager (falls back to the department head).
     */
    notifyManager: function(userId, eventName, record) {
        var managerId = new AcmeUserUtils().getManager(userId);
        if (!managerId) {
            this.logger.info('No manager found for user ' + userId + '; ' + eventName + ' not sent');
            return false;
        }
        return this.sendToUser(managerId, eventName, record, userId);
    },

    buildRecordLink: function(record) {
        if (!record || !record.isValidRecord())
            return '';
        var base = gs.getProperty('glide.servlet.uri');
        return base + record.getTableName() + '.do?sys_id=' + record.getUniqueValue();
    },

    isQuietHours: function() {
        var hour = parseInt(new GlideDateTime().getLocalTime().getByFormat('HH'), 10);
        if (this.quietStart > this.quietEnd)
            return hour >= this.quietStart || hour < this.quietEnd;
        return hour >= this.quietStart && hour < this.quietEnd;
    },

    type: 'AcmeNotificationHelper'
};

var AcmeUserUtils = Class.create();
AcmeUserUtils.prototype = {
    initialize: function() {
        this.vipRole = gs.getProperty('acme.user.vip_role', 'acme_vip');
    },

    /**
     * Returns the sys_id of the user's manager, or '' when none is set.
     * Falls back to the department head when the manager field is empty.
     */
    getManager: function(userId) {
        var user = new GlideRecord('sys_user');
        if (!user.get(userId))
            return '';
        if (!user.manager.nil())
            return user.getValue('manager');
        if (!user.department.nil()) {
            var dept = user.department.getRefRecord();
            if (dept.isValidRecord() && !dept.dept_head.nil())
                return dept.getValue('dept_head');
        }
        return '';
    },

    /**
     * @param {string} userId sys_id of sys_user
     * @param {string} groupName name of sys_user_group
     * @returns {boolean}
     */
    isMemberOfGroup: function(userId, groupName) {
        var member = new GlideRecord('sys_user_grmember');
        member.addQuery('user', userId);
        member.addQuery('group.name', groupName);
        member.addQuery('group.active', true);
        member.setLimit(1);
        member.query();
        return member.hasNext();
    },

    getDepartmentName: function(userId) {
        var user = new GlideRecord('sys_user');
        if (user.get(userId))
            return user.department.getDisplayValue() || '';
        return '';
    },

    // Active users of a department, sorted by last name
    getActiveUsersInDepartment: function(departmentId) {
        var users = [];
        var user = new GlideRecord('sys_user');
        user.addQuery('department', departmentId);
        user.addActiveQuery();
        user.orderBy('last_name');
        user.query();
        while (user.next()) {
            users.push({
                sys_id: user.getUniqueValue(),
                name: user.getDisplayValue(),
                email: user.getValue('email'),
                title: user.getValue('title')
            });
        }
        return users;
    },

    getDelegate: function(userId, forApprovals) {
        var now = new GlideDateTime();
        var del = new GlideRecord('sys_user_delegate');
        del.addQuery('user', userId);
        del.addQuery('starts', '<=', now);
        del.addQuery('ends', '>=', now);
        if (forApprovals)
            del.addQuery('approvals', true);
        del.orderByDesc('starts');
        del.setLimit(1);
        del.query();
        return del.next() ? del.getValue('delegate') : '';
    },

    isVip: function(userId) {
        var user = new GlideRecord('sys_user');
        if (!user.get(userId))
            return false;
        if (user.getValue('vip') == '1')
            return true;
        var role = new GlideRecord('sys_user_has_role');
        role.addQuery('user', userId);
        role.addQuery('role.name', this.vipRole);
        role.setLimit(1);
        role.query();
        return role.hasNext();
    },

    type: 'AcmeUserUtils'
};

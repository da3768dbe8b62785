var AcmeUserAjax = Class.create();
AcmeUserAjax.prototype = Object.extendsObject(AbstractAjaxProcessor, {

    /**
     * Returns a JSON string with the basic details shown on forms when a caller is picked.
     * Params: sysparm_user_id
     */
    getUserDetails: function() {
        var userId = this.getParameter('sysparm_user_id');
        var user = new GlideRecord('sys_user');
        if (!userId || !user.get(userId))
            return JSON.stringify({ found: false });

        var utils = new AcmeUserUtils();
        var details = {
            found: true,
            name: user.getDisplayValue(),
            email: user.getValue('email'),
            phone: user.getValue('phone') || user.getValue('mobile_phone'),
            department: user.department.getDisplayValue(),
            location: user.location.getDisplayValue(),
            manager: user.manager.getDisplayValue(),
            vip: utils.isVip(userId)
        };
        return JSON.stringify(details);
    },

    getManagerName: function() {
        var userId = this.getParameter('sysparm_user_id');
        var managerId = new AcmeUserUtils().getManager(userId);
        if (!managerId)
            return '';
        var manager = new GlideRecord('sys_user');
        return manager.get(managerId) ? manager.getDisplayValue() : '';
    },

    isVipUser: function() {
        var userId = this.getParameter('sysparm_user_id');
        return String(new AcmeUserUtils().isVip(userId));
    },

    // sysparm_user_id + sysparm_group_name -> "true" / "false"
    checkGroupMembership: function() {
        var userId = this.getParameter('sysparm_user_id') || gs.getUserID();
        var groupName = this.getParameter('sysparm_group_name');
        if (!groupName)
            return 'false';
        return String(new AcmeUserUtils().isMemberOfGroup(userId, groupName));
    },

    type: 'AcmeUserAjax'
});

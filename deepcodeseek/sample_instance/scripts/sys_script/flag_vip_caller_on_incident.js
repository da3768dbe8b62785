(function executeRule(current, previous /*null when async*/) {

    if (current.caller_id.nil())
        return;
    if (!current.isNewRecord() && !current.caller_id.changes())
        return;

    var userUtils = new AcmeUserUtils();
    var vip = userUtils.isVip(current.getValue('caller_id'));
    current.setValue('u_vip_caller', vip);

    // VIP incidents get at least priority 2 and go to the executive support desk
    if (vip) {
        if (parseInt(current.getValue('impact'), 10) > 2)
            current.setValue('impact', 2);
        var group = new GlideRecord('sys_user_group');
        if (group.get('name', gs.getProperty('acme.vip.support_group', 'Executive Support')))
            current.setValue('assignment_group', group.getUniqueValue());
    }

})(current, previous);

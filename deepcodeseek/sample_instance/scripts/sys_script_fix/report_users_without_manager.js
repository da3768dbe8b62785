// One-off for the HR data quality project: active employees without a resolvable manager.
var logger = new AcmeLogger('DataQuality');
var userUtils = new AcmeUserUtils();
var users = new AcmeBaseUtils('sys_user');

var total = users.countWhere('active=true^u_employee=true');
var missing = [];

var user = new GlideRecord('sys_user');
user.addActiveQuery();
user.addQuery('u_employee', true);
user.addNullQuery('manager');
user.query();
while (user.next()) {
    // getManager falls back to the department head
    if (!userUtils.getManager(user.getUniqueValue()))
        missing.push(user.getValue('user_name') + ' (' + userUtils.getDepartmentName(user.getUniqueValue()) + ')');
}

logger.info(missing.length + ' of ' + total + ' active employee(s) have no manager and no department head');
if (missing.length)
    logger.warn('Users without manager:\n' + missing.join('\n'));

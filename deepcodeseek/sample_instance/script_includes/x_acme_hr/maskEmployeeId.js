/**
 * Masks an employee number for logs and emails: all but the last visibleChars
 * characters are replaced with '*'. maskEmployeeId('E0048213') -> '****8213'.
 * @param {string} employeeId
 * @param {number} [visibleChars=4]
 * @returns {string}
 */
function maskEmployeeId(employeeId, visibleChars) {
    if (!employeeId)
        return '';
    var value = String(employeeId).trim();
    var keep = typeof visibleChars == 'number' ? visibleChars : 4;
    if (value.length <= keep)
        return new Array(value.length + 1).join('*');
    var masked = '';
    for (var i = 0; i < value.length - keep; i++)
        masked += '*';
    return masked + value.substring(value.length - keep);
}

/**
 * Checks an Acme asset tag: ACME-<class>-<6 digits>, where class is HW (hardware),
 * NW (network) or MB (mobile). The last digit is a mod-10 check digit over the first five.
 * @param {string} tag
 * @returns {boolean}
 */
function validateAssetTag(tag) {
    if (!tag)
        return false;
    var match = /^ACME-(HW|NW|MB)-(\d{6})$/.exec(String(tag).trim().toUpperCase());
    if (!match)
        return false;
    var digits = match[2];
    var sum = 0;
    for (var i = 0; i < 5; i++)
        sum += parseInt(digits.charAt(i), 10) * (i % 2 === 0 ? 3 : 1);
    return (sum % 10) === parseInt(digits.charAt(5), 10);
}

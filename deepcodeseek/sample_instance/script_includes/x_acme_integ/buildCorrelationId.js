/**
 * Builds an ID that travels with an outbound call (X-Correlation-ID header, queue
 * items and log rows): <source>-<yyyyMMddHHmmss>-<8 hex chars>.
 * @param {string} [source] short system name, e.g. 'workday'
 * @returns {string}
 */
function buildCorrelationId(source) {
    var prefix = (source || 'sn').toLowerCase().replace(/[^a-z0-9]/g, '').substring(0, 12) || 'sn';
    var stamp = new GlideDateTime().getValue().replace(/[^0-9]/g, '');
    var rand = gs.generateGUID().substring(0, 8);
    return prefix + '-' + stamp + '-' + rand;
}

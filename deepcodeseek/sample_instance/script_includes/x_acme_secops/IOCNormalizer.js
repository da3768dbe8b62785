/**
 * Normalizes indicators of compromise (IOCs) so that lookups and de-duplication
 * work on one canonical form. Stateless; call as IOCNormalizer.normalizeIp(...).
 */
var IOCNormalizer = (function() {

    var IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
    var HASH_LENGTHS = { 32: 'md5', 40: 'sha1', 64: 'sha256' };

    // hxxp://evil[.]com -> http://evil.com
    function refang(value) {
        return String(value).trim()
            .replace(/^hxxp/i, 'http')
            .replace(/\[\.\]/g, '.')
            .replace(/\(\.\)/g, '.')
            .replace(/\[:\]/g, ':');
    }

    function normalizeIp(value) {
        var m = IPV4.exec(refang(value));
        if (!m)
            return '';
        var parts = [];
        for (var i = 1; i <= 4; i++) {
            var octet = parseInt(m[i], 10);
            if (octet > 255)
                return '';
            parts.push(octet);
        }
        return parts.join('.');
    }

    function normalizeDomain(value) {
        var v = refang(value).toLowerCase();
        v = v.replace(/^[a-z]+:\/\//, '').split('/')[0].split(':')[0];
        return v.replace(/\.$/, '');
    }

    function normalizeHash(value) {
        var v = String(value).trim().toLowerCase();
        return /^[0-9a-f]+$/.test(v) && HASH_LENGTHS[v.length] ? v : '';
    }

    /**
     * @returns {string} ip | domain | url | md5 | sha1 | sha256 | email | unknown
     */
    function detectType(value) {
        var v = refang(value);
        if (IPV4.test(v))
            return 'ip';
        if (/^[a-z]+:\/\//i.test(v))
            return 'url';
        if (/^[^@\s]+@[^@\s]+\.[a-z]{2,}$/i.test(v))
            return 'email';
        var hashType = HASH_LENGTHS[v.length];
        if (hashType && /^[0-9a-f]+$/i.test(v))
            return hashType;
        if (/^([a-z0-9-]+\.)+[a-z]{2,}\.?$/i.test(v))
            return 'domain';
        return 'unknown';
    }

    function normalize(value, type) {
        type = type || detectType(value);
        switch (type) {
            case 'ip': return normalizeIp(value);
            case 'domain': return normalizeDomain(value);
            case 'url': return refang(value).replace(/^([a-z]+:\/\/[^\/]+)/i, function(h) { return h.toLowerCase(); });
            case 'email': return refang(value).toLowerCase();
            case 'md5':
            case 'sha1':
            case 'sha256': return normalizeHash(value);
            default: return refang(value);
        }
    }

    // evil.com -> evil[.]com, safe to paste into emails and tickets
    function defang(value) {
        return String(value).replace(/^http/i, 'hxxp').replace(/\./g, '[.]');
    }

    return {
        normalizeIp: normalizeIp,
        normalizeDomain: normalizeDomain,
        normalizeHash: normalizeHash,
        detectType: detectType,
        normalize: normalize,
        defang: defang,
        type: 'IOCNormalizer'
    };
})();

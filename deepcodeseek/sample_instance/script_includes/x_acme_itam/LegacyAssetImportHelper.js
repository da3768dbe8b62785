// Deprecated: the spreadsheet import was replaced by the SCCM integration in 2023.
var LegacyAssetImportHelper = Class.create();
LegacyAssetImportHelper.prototype = {
    initialize: function() {
        this.statusMap = {
            'DEPLOYED': '1',
            'SPARE': '6',
            'BROKEN': '3',
            'SCRAPPED': '7'
        };
    },

    importFromCsv: function(attachmentSysId) {
        var attachment = new GlideRecord('sys_attachment');
        if (!attachment.get(attachmentSysId))
            return 0;
        var content = new GlideSysAttachment().getContent(attachment);
        var lines = content.split('\n');
        var imported = 0;
        for (var i = 1; i < lines.length; i++) {
            var row = this._parseRow(lines[i]);
            if (!row)
                continue;
            var asset = new GlideRecord('alm_hardware');
            asset.initialize();
            asset.setValue('asset_tag', row.tag);
            asset.setValue('serial_number', row.serial);
            asset.setValue('install_status', this.mapLegacyStatus(row.status));
            if (asset.insert())
                imported++;
        }
        return imported;
    },

    _parseRow: function(line) {
        if (!line || !line.trim())
            return null;
        var cols = line.split(';');
        if (cols.length < 3)
            return null;
        return { tag: cols[0].trim(), serial: cols[1].trim(), status: cols[2].trim() };
    },

    mapLegacyStatus: function(status) {
        return this.statusMap[String(status).toUpperCase()] || '6';
    },

    type: 'LegacyAssetImportHelper'
};

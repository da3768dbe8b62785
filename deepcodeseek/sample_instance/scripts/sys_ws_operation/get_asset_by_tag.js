(function process(/*RESTAPIRequest*/ request, /*RESTAPIResponse*/ response) {

    // GET /api/x_acme_itam/assets/{asset_tag}  (used by the warehouse barcode scanners)
    var tag = String(request.pathParams.asset_tag || '').toUpperCase();
    if (!validateAssetTag(tag)) {
        response.setStatus(400);
        response.setBody({ error: 'Malformed asset tag', asset_tag: tag });
        return;
    }

    var utils = new AssetUtils();
    var asset = utils.getAssetByTag(tag);
    if (!asset) {
        response.setStatus(404);
        response.setBody({ error: 'Asset not found', asset_tag: tag });
        return;
    }

    response.setStatus(200);
    response.setBody({
        asset_tag: tag,
        sys_id: asset.getUniqueValue(),
        model: asset.getDisplayValue('model'),
        serial_number: asset.getValue('serial_number'),
        status: asset.getDisplayValue('install_status'),
        assigned_to: asset.getDisplayValue('assigned_to'),
        stockroom: asset.getDisplayValue('stockroom'),
        book_value: utils.getDepreciatedValue(asset)
    });

})(request, response);

-- The platform's own scriptable classes (@servicenow/glide declarations), when configured.
CREATE TABLE IF NOT EXISTS platform_classes (
    sys_id          VARCHAR PRIMARY KEY,  -- platform:<api_name>
    api_name        VARCHAR NOT NULL,     -- GlideRecord, sn_ws.RESTMessageV2
    name            VARCHAR NOT NULL,
    scope           VARCHAR NOT NULL,
    deprecated      BOOLEAN NOT NULL,
    doc_json        VARCHAR NOT NULL,
    source_file     VARCHAR,
    package_version VARCHAR
);

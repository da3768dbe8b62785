-- Records read from an instance's source: Script Includes, usage-bearing scripts, applications.
CREATE TABLE IF NOT EXISTS applications (
    scope      VARCHAR PRIMARY KEY,
    name       VARCHAR NOT NULL,
    sys_id     VARCHAR,
    kind       VARCHAR,          -- sys_scope, sys_app, sys_store_app, sys_package
    version    VARCHAR,
    vendor     VARCHAR
);

CREATE TABLE IF NOT EXISTS script_includes (
    sys_id          VARCHAR PRIMARY KEY,
    name            VARCHAR NOT NULL,
    api_name        VARCHAR NOT NULL,
    scope           VARCHAR NOT NULL,
    access          VARCHAR NOT NULL, -- public | package_private
    client_callable BOOLEAN NOT NULL,
    active          BOOLEAN NOT NULL,
    description     VARCHAR,
    script          VARCHAR NOT NULL,
    sys_updated_on  VARCHAR,
    content_hash    VARCHAR NOT NULL,
    origin          VARCHAR
);

CREATE TABLE IF NOT EXISTS scripts (
    sys_id          VARCHAR PRIMARY KEY,
    table_name      VARCHAR NOT NULL,
    name            VARCHAR NOT NULL,
    scope           VARCHAR NOT NULL,
    active          BOOLEAN NOT NULL,
    script          VARCHAR NOT NULL,
    sys_updated_on  VARCHAR,
    content_hash    VARCHAR NOT NULL,
    origin          VARCHAR,
    extra           VARCHAR          -- JSON of the source's other fields
);

CREATE TABLE IF NOT EXISTS source_errors (
    origin   VARCHAR,
    record   VARCHAR,
    message  VARCHAR
);

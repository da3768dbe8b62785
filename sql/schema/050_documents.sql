-- Namespace-grouped documents, one per Script Include and document form (variant).
CREATE TABLE IF NOT EXISTS documents (
    sys_id          VARCHAR NOT NULL,
    variant         VARCHAR NOT NULL,  -- jsdoc | code | usage
    namespace       VARCHAR NOT NULL,
    api_name        VARCHAR NOT NULL,
    scope           VARCHAR NOT NULL,
    access          VARCHAR NOT NULL,
    active          BOOLEAN NOT NULL,
    client_callable BOOLEAN NOT NULL,
    kind            VARCHAR NOT NULL,  -- script_include (platform classes come later)
    methods         VARCHAR NOT NULL,  -- JSON list of method names, most used first
    usage_count     INTEGER NOT NULL,
    pagerank        DOUBLE NOT NULL,
    text            VARCHAR NOT NULL,
    text_hash       VARCHAR NOT NULL,
    PRIMARY KEY (sys_id, variant)
);

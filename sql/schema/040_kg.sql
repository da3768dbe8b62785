-- The package/scope knowledge graph: nodes, typed edges, and the call sites behind usage edges.
CREATE TABLE IF NOT EXISTS kg_nodes (
    node_id     VARCHAR PRIMARY KEY,  -- app:<scope> | si:<sys_id> | method:<sys_id>:<name> | script:<sys_id>
    kind        VARCHAR NOT NULL,     -- application | script_include | method | script
    name        VARCHAR NOT NULL,
    scope       VARCHAR NOT NULL,
    usage_count INTEGER DEFAULT 0,    -- call sites that reach this node
    pagerank    DOUBLE DEFAULT 0
);

CREATE TABLE IF NOT EXISTS kg_edges (
    src     VARCHAR NOT NULL,
    dst     VARCHAR NOT NULL,
    kind    VARCHAR NOT NULL,  -- owns | has_method | extends | calls
    weight  INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE IF NOT EXISTS usage_sites (
    caller_sys_id    VARCHAR NOT NULL,
    caller_table     VARCHAR NOT NULL,
    caller_scope     VARCHAR NOT NULL,
    target_sys_id    VARCHAR NOT NULL,
    target_namespace VARCHAR NOT NULL,
    method           VARCHAR,
    kind             VARCHAR NOT NULL,  -- new | static | call | ajax | prototype
    line             INTEGER NOT NULL,
    start_byte       INTEGER NOT NULL
);

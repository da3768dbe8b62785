-- JSDoc summaries, one per Script Include; reused while content_hash and backend are unchanged.
CREATE TABLE IF NOT EXISTS jsdoc (
    sys_id        VARCHAR PRIMARY KEY,
    namespace     VARCHAR NOT NULL,
    api_name      VARCHAR NOT NULL,
    content_hash  VARCHAR NOT NULL,
    backend       VARCHAR NOT NULL,  -- static | llm:<model>:<prompt version>
    doc_json      VARCHAR NOT NULL,
    status        VARCHAR NOT NULL,  -- ok | fallback | error
    error         VARCHAR
);

-- LLM response cache and call ledger. Instance-independent: a summary of the same script
-- with the same model and prompt version costs money once, whichever instance asks.

-- One row per distinct request (model, prompt version, system prompt, user prompt),
-- keyed by the sha256 the client computes; re-runs are served from here for free.
CREATE TABLE IF NOT EXISTS llm_cache (
    cache_key       VARCHAR PRIMARY KEY,
    model           VARCHAR NOT NULL,
    prompt_version  VARCHAR NOT NULL,
    response_text   VARCHAR NOT NULL,
    input_tokens    BIGINT  NOT NULL,
    output_tokens   BIGINT  NOT NULL,
    cost_usd        DOUBLE  NOT NULL,   -- what the original call cost
    created_at      TIMESTAMP DEFAULT current_timestamp
);

-- One row per complete() call, hit or miss, so cost and cache hit rate can be reported.
-- On a cache hit the tokens are those of the original call (tokens saved) and cost is 0.
CREATE TABLE IF NOT EXISTS llm_calls (
    call_id         VARCHAR PRIMARY KEY,
    ts              TIMESTAMP DEFAULT current_timestamp,
    model           VARCHAR NOT NULL,
    prompt_version  VARCHAR NOT NULL,
    cache_key       VARCHAR NOT NULL,
    input_tokens    BIGINT  NOT NULL,
    output_tokens   BIGINT  NOT NULL,
    cache_read_tokens BIGINT NOT NULL DEFAULT 0,
    cost_usd        DOUBLE  NOT NULL,
    cached          BOOLEAN NOT NULL
);

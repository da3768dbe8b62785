-- Append one complete() call to the ledger.
INSERT INTO llm_calls
    (call_id, model, prompt_version, cache_key, input_tokens, output_tokens,
     cache_read_tokens, cost_usd, cached)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?);

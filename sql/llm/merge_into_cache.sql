-- Store (or overwrite) the response to one request.
INSERT OR REPLACE INTO llm_cache
    (cache_key, model, prompt_version, response_text, input_tokens, output_tokens, cost_usd)
VALUES (?, ?, ?, ?, ?, ?, ?);

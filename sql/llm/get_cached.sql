-- A cached LLM response by its request hash.
SELECT response_text, input_tokens, output_tokens
FROM llm_cache
WHERE cache_key = ?;

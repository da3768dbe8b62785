-- Calls, tokens, cost and cache hits per model and prompt version, for reports.
SELECT
    model,
    prompt_version,
    count(*)                                  AS calls,
    count(*) FILTER (WHERE cached)            AS cached_calls,
    coalesce(sum(input_tokens), 0)            AS input_tokens,
    coalesce(sum(output_tokens), 0)           AS output_tokens,
    coalesce(sum(cost_usd), 0.0)              AS cost_usd
FROM llm_calls
GROUP BY model, prompt_version
ORDER BY model, prompt_version;

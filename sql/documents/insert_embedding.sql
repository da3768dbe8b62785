INSERT OR REPLACE INTO embedding_cache (model, text_hash, vector) VALUES (?, ?, ?);

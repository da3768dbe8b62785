INSERT OR REPLACE INTO embedding_cache (model, text_hash, vector) SELECT model, text_hash, vector FROM rows_in;

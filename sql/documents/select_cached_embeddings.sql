SELECT text_hash, vector FROM embedding_cache WHERE model = ?;

-- Document embeddings cached by model and text hash: a rebuild embeds only changed text.
CREATE TABLE IF NOT EXISTS embedding_cache (
    model      VARCHAR NOT NULL,
    text_hash  VARCHAR NOT NULL,
    vector     FLOAT[] NOT NULL,
    PRIMARY KEY (model, text_hash)
);

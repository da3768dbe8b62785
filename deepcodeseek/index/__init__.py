"""Embedding, the LanceDB vector index, the BM25 index and atomic publishing."""

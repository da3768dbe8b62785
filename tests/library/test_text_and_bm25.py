"""Identifier-aware tokens and the BM25 baseline built on them."""

from __future__ import annotations

from deepcodeseek.index.bm25 import BM25Index, ChunkedBM25Index, code_chunks
from deepcodeseek.text import code_tokens, last_lines, split_identifier


def test_identifiers_split_into_words():
    assert split_identifier("getHRCaseByID") == ["get", "hr", "case", "by", "id"]
    assert split_identifier("x_acme_hr.CaseUtils") == ["x", "acme", "hr", "case", "utils"]
    tokens = code_tokens("var u = new x_acme_hr.CaseUtils(); u.getOverdueCases(5);")
    assert "caseutils" in tokens and "overdue" in tokens and "var" not in tokens


def test_last_lines_skips_blank_lines():
    assert last_lines("a\n\nb\nc\n\n", 2) == "b\nc"


def test_bm25_ranks_by_split_identifiers_and_survives_save_load(tmp_path):
    index = BM25Index.build(["AssetTagValidator validates asset tags", "CaseUtils overdue HR cases",
                             "RestRetry retries outbound REST calls"])
    index.save(tmp_path / "bm25")
    loaded = BM25Index.load(tmp_path / "bm25")
    scores = loaded.scores("var overdue = findOverdueCases();")
    assert scores.argmax() == 1
    assert loaded.scores("zzz qqq").sum() == 0


def test_code_chunks_keep_the_header_on_every_chunk():
    text = "x_acme.Big (big) Script Include in scope x_acme\n" + "\n".join(f"line{i}" for i in range(65))
    chunks = code_chunks(text, lines=30)
    assert len(chunks) == 3
    assert all(c.startswith("x_acme.Big (big)") for c in chunks)
    assert chunks[2].endswith("line64") and "line30" in chunks[1]
    assert code_chunks("header\nshort body") == ["header\nshort body"]


def test_chunked_bm25_scores_a_document_by_its_best_chunk():
    long_doc = "LongUtils header\n" + "\n".join(["var filler = something;"] * 60 + ["approveChangeRequest(id);"])
    texts = [long_doc, "ShortUtils header\nfunction approveChangeRequest(change) {}", "Other header\nnothing here"]
    scores = ChunkedBM25Index(texts, lines=30).scores("approveChangeRequest")
    assert scores.shape == (3,) and scores[2] == 0
    assert scores[0] > 0 and scores[1] > 0  # the match in the last chunk is not diluted by 60 filler lines


def test_scores_match_bm25s_up_to_float32_rounding_and_rank_as_it_does_with_repeated_and_unknown_tokens():
    """A repeated token's postings are added once, times its count: bm25s's sums to float32 rounding, in
    bm25s's order (ties included: equal sums stay equal); a query without repeats is bm25s's to the bit."""
    import random

    import numpy as np

    from deepcodeseek.text import code_tokens

    rng = random.Random(7)
    words = ["gr", "GlideRecord", "incident", "addQuery", "assetTag", "getValue", "x_acme_itam", "HRCase", "next"]
    texts = [" ".join(rng.choice(words) for _ in range(rng.randint(1, 30))) for _ in range(60)]
    index = BM25Index.build(texts)
    for _ in range(40):
        query = " ".join(rng.choice(words + ["unknownWord"]) for _ in range(rng.randint(1, 25)))
        known = [t for t in code_tokens(query) if t in index._vocab]
        expected = np.asarray(index._model.get_scores(known), dtype=np.float32)
        got = index.scores(query)
        assert np.allclose(got, expected, rtol=2e-6, atol=0), query
        assert np.array_equal(np.argsort(-got, kind="stable"), np.argsort(-expected, kind="stable")), query
        distinct = " ".join(dict.fromkeys(query.split()))
        if len(set(code_tokens(distinct))) == len(code_tokens(distinct)):  # no token repeats: the very sums
            plain = [t for t in code_tokens(distinct) if t in index._vocab]
            assert np.array_equal(index.scores(distinct), np.asarray(index._model.get_scores(plain), dtype=np.float32))


def test_a_loaded_index_keeps_token_hashes_not_a_dict_and_scores_the_same(tmp_path, monkeypatch):
    import random

    import numpy as np

    from deepcodeseek.index import bm25

    rng = random.Random(3)
    words = [f"{rng.choice(['get', 'set', 'has', 'is'])}{rng.choice(['Asset', 'Case', 'Task', 'User'])}{i}"
             for i in range(300)]
    texts = [" ".join(rng.choice(words) for _ in range(rng.randint(1, 40))) for _ in range(120)]
    built = BM25Index.build(texts)
    built.save(tmp_path / "bm25")
    loaded = BM25Index.load(tmp_path / "bm25")
    assert loaded._vocab is None and loaded._model.vocab_dict is None  # the arrays replace the dict and the id set
    assert len(loaded._ids.hashes) == len(built._vocab)
    for _ in range(30):  # repeated, unknown and known tokens, in any order
        query = " ".join(rng.choice(words + ["nowhere", "x_none"]) for _ in range(rng.randint(1, 30)))
        assert np.array_equal(loaded.scores(query), built.scores(query)), query

    monkeypatch.setattr(bm25, "hash", lambda token: 7, raising=False)  # every token collides: the dict stays
    fallback = BM25Index.load(tmp_path / "bm25")
    assert fallback._ids is None and fallback._vocab
    assert np.array_equal(fallback.scores(texts[0]), built.scores(texts[0]))


def test_top_k_breaks_ties_by_index_so_every_depth_agrees():
    """A reranker reads ``top_k(score, N)``; the answer reads ``top_k(score, 10)``: with tied scores at
    the cut both must name the same first N, whatever N."""
    import numpy as np

    from deepcodeseek.retrieval.signals import top_k

    rng = np.random.default_rng(7)
    for _ in range(200):
        scores = rng.integers(0, 4, size=int(rng.integers(1, 60))).astype(float)
        scores[rng.random(len(scores)) < 0.1] = -np.inf
        full = list(top_k(scores, len(scores)))
        assert full == sorted(range(len(scores)), key=lambda i: (-scores[i], i))
        for k in range(1, len(scores) + 2):
            assert list(top_k(scores, k)) == full[:k]
    assert list(top_k(np.array([1.0, 2.0]), 0)) == []

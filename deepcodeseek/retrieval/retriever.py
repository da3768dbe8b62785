"""The serving path: a loaded index that answers in milliseconds.

A :class:`Retriever` opens an instance's published index version once (vectors and
document metadata from LanceDB, the BM25 indexes and usage contexts from the version
folder) and answers queries without touching the pipeline's DuckDB file. Candidates
are pruned by the scope/access rule before ranking; every result says which signals
ranked it.

Methods:
- ``fusion`` (default): BM25 over JSDoc documents, usage-neighbour votes, a usage
  prior, semantic votes and the dense similarity, each normalised, in a weighted sum
  whose weights are calibrated per version on the instance's calibration split
  (``training.calibration``; a weight of zero leaves a signal, and its cost, out).
- ``fusion_lexical``: the same without any neural network on the query path (~1 ms).
- ``fusion_semantic``: ``fusion_lexical`` plus semantic votes through a static encoder
  distilled from the embedder, at a fixed weight, for comparison.
- ``ranker``: the instance's learned ranker (LightGBM LambdaRank) over candidates from
  every signal (``deepcodeseek.ranking``), when the version has one.
- ``rerank_ce``, ``rerank_ce_distilled``, ``rerank_lm``: a neural reranker (LoRA
  cross-encoder, the same distilled from the LM, the yes/no LM after SFT and GRPO)
  re-orders the top N of the version's first stage, when the version has one.
- ``hybrid``: reciprocal rank fusion of dense (embedder) and BM25 ranks.
- ``dense``, ``bm25``, ``votes``: single signals, for ablations and baselines.
"""

from __future__ import annotations

import functools
import json
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, NamedTuple

import numpy as np

from deepcodeseek.errors import UnknownMethod
from deepcodeseek.index.bm25 import BM25Index, max_per_owner
from deepcodeseek.index.contexts import CONTEXTS_FILE, read_context_links
from deepcodeseek.index.embedder import Embedder, query_embedder
from deepcodeseek.index.model_store import fetch_model
from deepcodeseek.index.publish import current_manifest, open_vector_table, version_manifest, version_path
from deepcodeseek.index.static_encoder import StaticEncoder
from deepcodeseek.kg.access import admission_rule
from deepcodeseek.paths import InstancePaths, instance_paths
from deepcodeseek.retrieval.callers import CallerCodes
from deepcodeseek.retrieval.context_ivf import IVF_FILE, ContextIVF, context_similarities, searchable
from deepcodeseek.retrieval.doc_columns import LOADED_COLUMNS, DocumentColumns
from deepcodeseek.retrieval.llm_forms import MethodUnavailable, describe_intent, hypothetical_completion
from deepcodeseek.retrieval.query import QUERY_LINES_BEFORE, Query
from deepcodeseek.retrieval.signals import (
    FUSION_SIGNALS,
    VOTE_NEIGHBOURS,
    floored,
    fuse,
    max_normalised,
    neighbour_votes,
    rrf,
    top_k,
)
from deepcodeseek.text import query_tokens, split_identifier

QUANTIZED_CPU_QUERIES = True  # serving on a CPU: int8 query encoder (half the latency; README for its cost)
RERANK_METHODS = ("rerank_ce", "rerank_ce_distilled", "rerank_lm")  # neural rerankers over the top N (``rerankers``)
METHODS = ("ranker", "fusion", "fusion_lexical", "fusion_semantic", "hybrid", "dense", "bm25", "votes") + RERANK_METHODS
RERANKED = 1e9  # a reranked candidate ranks above every candidate it was not
LLM_METHODS = ("intent", "hyde")  # query forms written by the LLM resource; unavailable without one
DEFAULT_METHOD = "fusion"  # when a version names none: its calibration chooses (``default_method``)
# Weights of a version that was never calibrated (no calibration samples): lexical
# signals only, so no neural model runs unless calibration showed that it helps.
FUSION_WEIGHTS = {"bm25": 1.0, "votes": 0.7, "prior": 0.3, "semantic_votes": 0.0, "dense": 0.0}
SEMANTIC_WEIGHT = 0.5  # ``fusion_semantic`` only: the default's weight is calibrated


@dataclass
class Result:
    namespace: str
    api_name: str
    scope: str
    methods: list[str]
    score: float
    evidence: dict = field(default_factory=dict)

    def as_dict(self, explain: bool = False) -> dict:
        out = {"namespace": self.namespace, "api_name": self.api_name, "methods": self.methods,
               "score": round(float(self.score), 6)}
        if explain:
            out["evidence"] = self.evidence
        return out


def served_choice(manifest: dict, override: str | None) -> dict | None:
    """The light student a version's calibration chose (``{name, model}``), unless the caller asked
    for the teacher (``query_encoder="teacher"``); None when the teacher encodes queries."""
    return manifest.get("query_encoder") if override != "teacher" else None


def read_columns(vector_table, columns: tuple[str, ...]):
    """Those columns of a version's LanceDB table, every row in the table's order (a plain scan, as
    ``to_arrow`` reads it, without the columns a query never reads)."""
    rows = vector_table.count_rows()
    if not rows:
        return vector_table.to_arrow().select(list(columns))
    return vector_table.search().select(list(columns)).limit(rows).to_arrow()


def read_texts(paths: InstancePaths, version: str) -> dict[str, str]:
    """A version's document texts by ``sys_id`` (rerankers, training and benchmarks read them)."""
    table = read_columns(open_vector_table(paths, version), ("sys_id", "text"))
    return dict(zip(table.column("sys_id").to_pylist(), table.column("text").to_pylist()))


def vector_matrix(column) -> np.ndarray:
    """A LanceDB fixed-size-list column as one float32 matrix, read without Python floats.

    ``to_pydict`` made a Python float of each of the 50,000 x 384 numbers of a large
    instance (hundreds of MiB at load, then copied again), for an array Arrow already holds.
    """
    import pyarrow as pa

    column = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    width = column.type.list_size
    if not len(column):
        return np.zeros((0, width), dtype=np.float32)
    matrix = np.asarray(column.flatten().to_numpy(zero_copy_only=False), dtype=np.float32).reshape(len(column), width)
    return matrix if matrix.flags.writeable else matrix.copy()  # an Arrow view is read-only (torch warns on it)


class Retriever:
    """An instance's published index, kept loaded for fast queries."""

    def __init__(self, instance: str, home: str | None = None, embedder: Embedder | None = None, llm=None,
                 version: str | None = None, use_usage: bool = True, query_encoder: str | None = None,
                 manifest: dict | None = None):
        """``version`` pins a version by name, as the build staged it (the base of an adapted one, for
        comparison); ``manifest`` opens the version it names exactly as given (the service passes the
        published one it polled); default CURRENT's published manifest.

        ``use_usage=False`` answers as an instance with no usage-bearing scripts would (a
        brand-new app): no neighbour votes, no usage prior; only documents and the graph.
        ``query_encoder="teacher"`` encodes queries with the version's own model even where
        its calibration chose a light student (the default serves the student).
        """
        self.paths: InstancePaths = instance_paths(instance, home)
        self.manifest = manifest or (version_manifest(self.paths, version) if version else current_manifest(self.paths))
        index, folder = self.paths.index, version_path(self.manifest["version"])  # local folder or object storage
        vector_table = open_vector_table(self.paths, self.manifest["version"])
        table = read_columns(vector_table, LOADED_COLUMNS + ("vector",))
        self.model_name = vector_table.schema.metadata[b"model"].decode()
        self.vectors = vector_matrix(table.column("vector"))
        self.vector_owners: np.ndarray | None = None  # set when vectors are chunks: row -> document
        self._torch_vectors: tuple | None = None  # (the array, its torch view) for dense similarities
        # Documents as columns, their texts read on first use (``doc_columns``: what that saves).
        self.docs = DocumentColumns.from_arrow(table, functools.partial(read_texts, self.paths, self.version))
        del table
        self.doc_scopes = np.array([s or "" for s in self.docs.column("scope")], dtype=object)
        self.is_platform = self.docs.flags("kind", "platform")
        self.bm25 = BM25Index.load(index.local(f"{folder}/bm25"))
        by_sys_id = {s: i for i, s in enumerate(self.docs.column("sys_id"))}
        callers, targets = read_context_links(index.local(f"{folder}/{CONTEXTS_FILE}")) if use_usage else ([], [])
        keep = np.array([t in by_sys_id for t in targets], dtype=bool)
        self.context_targets = np.array([by_sys_id[t] for t, k in zip(targets, keep) if k], dtype=np.int64)
        self.context_callers = np.array([c for c, k in zip(callers, keep) if k], dtype=object)
        self.caller_codes = CallerCodes(self.context_callers)
        self.contexts_bm25 = BM25Index.load(index.local(f"{folder}/contexts_bm25")) if len(self.context_targets) else None
        self.use_usage = use_usage
        self._static_folder, self._context_keep = f"{folder}/static", keep
        self._all_contexts_kept = bool(keep.all())  # then votes skip a copy of every context's score
        self._static: tuple | None = None  # loaded on first semantic query
        self._embedder = embedder
        self._query_encoder = query_encoder
        # What opens this version again in another process (``reopen_args``): nothing injected can travel.
        self._opened_with = None if embedder is not None or llm is not None else {
            "instance": instance, "home": str(self.paths.home), "use_usage": use_usage, "query_encoder": query_encoder}
        self.llm = llm
        self.fusion_weights = {**FUSION_WEIGHTS, **self.manifest.get("fusion_weights", {})}  # calibrated per version
        self.adapted = bool(self.manifest.get("adapted_from"))  # embedded with the instance's tuned model
        self.query_lines = QUERY_LINES_BEFORE  # ranking knobs: the evaluation sweeps them
        self.vote_neighbours = VOTE_NEIGHBOURS
        self.usage_counts = np.bincount(self.context_targets, minlength=len(self.docs)).astype(np.float64)
        self._per_scope: dict[tuple[str, str | None], np.ndarray] = {}  # ``per_scope``: admission, its rules, ...
        self.default_method = self.manifest.get("default_method", DEFAULT_METHOD)  # chosen on calibration
        self._ranking = None  # candidates, features and the learned ranker, loaded on first use
        self._version_folder = folder
        self._scorers = {"ranker": self._ranked, "fusion": self._fusion, "fusion_lexical": self._fusion_lexical,
                         "fusion_semantic": self._fusion_semantic,
                         "hybrid": self._hybrid, "dense": self._dense,
                         "bm25": self._bm25, "votes": self._votes, "intent": self._intent, "hyde": self._hyde,
                         **{m: functools.partial(self._reranked, m) for m in RERANK_METHODS}}
        self._rerankers: dict[str, object] = {}
        self.memo = None  # ``query_memo.QueryMemo``: one query's signals, shared while a driver sets it

    @property
    def version(self) -> str:
        return self.manifest["version"]

    def reopen_args(self) -> dict | None:
        """Keyword arguments that open this same version, encoder and knobs again in another process
        (``Retriever.reopen``), or None where it was given an embedder or an LLM object."""
        if self._opened_with is None:
            return None
        return {**self._opened_with, "manifest": self.manifest,
                "knobs": {"query_lines": self.query_lines, "vote_neighbours": self.vote_neighbours}}

    @classmethod
    def reopen(cls, args: dict) -> "Retriever":
        """The Retriever ``reopen_args`` describes."""
        args = dict(args)
        knobs = args.pop("knobs", {})
        retriever = cls(**args)
        for name, value in knobs.items():
            setattr(retriever, name, value)
        return retriever

    @property
    def embedder(self) -> Embedder:
        """The model the version was embedded with, loaded on first use.

        An injected embedder is used when it is that model; otherwise (an instance's
        tuned model) it is loaded by name from the state folder.
        """
        if self._embedder is None or self._embedder.name != self.model_name:
            device = getattr(self._embedder, "device", "auto")
            self._embedder = self._student() or query_embedder(self.model_name, device=device, home=self.paths.home,
                                                               quantized=QUANTIZED_CPU_QUERIES)
        return self._embedder

    @property
    def query_encoder_name(self) -> str:
        """Which encoder serves this version's queries: a light student's name, or ``teacher``."""
        choice = served_choice(self.manifest, self._query_encoder)
        return choice["name"] if choice else "teacher"

    @property
    def query_encoder_identity(self) -> str:
        """The serving encoder's name and its content-addressed folder: what a ranker trained on its
        dense feature is keyed by (a student rebuilt under the same name is another encoder)."""
        choice = served_choice(self.manifest, self._query_encoder)
        if not choice:
            return "teacher"
        return f"{choice['name']}@{choice.get('model') or ''}"

    def _student(self):
        """The light query encoder the version's calibration chose, when there is one (see ``encoders``)."""
        choice = served_choice(self.manifest, self._query_encoder)
        if not choice or not choice.get("model"):
            return None
        from deepcodeseek.encoders.base import load_encoder
        from deepcodeseek.encoders.serving import ServingAdapter

        folder = fetch_model(self.paths.home, choice["model"])
        if folder is None:
            return None  # the student is gone: the teacher answers (slower, as calibrated for the teacher)
        return ServingAdapter(load_encoder(folder), self.model_name, self.paths.home)

    @contextmanager
    def encoding_with(self, embedder: Embedder) -> Iterator[Retriever]:
        """This retriever encoding its queries with ``embedder`` while the block runs, its own after.

        How calibration measures a student or a job's encoder on one loaded version without loading it again."""
        previous, self._embedder = self._embedder, embedder
        try:
            yield self
        finally:
            self._embedder = previous

    def _student_loaded(self) -> bool:
        """Whether a light student (not the teacher) is what encodes this retriever's queries now."""
        from deepcodeseek.encoders.serving import ServingAdapter

        return isinstance(self._embedder, ServingAdapter)

    @property
    def ranking(self):
        """The learned ranking stage of this version (graph facts, ranker), loaded once."""
        if self._ranking is None:
            from deepcodeseek.ranking.stage import RankingStage

            self._ranking = RankingStage(self, self._version_folder)
        return self._ranking

    def available_methods(self) -> tuple[str, ...]:
        """The offline methods this version can answer with (``ranker`` only where one was trained)."""
        from deepcodeseek.ranking.stage import ranker_folder

        has_ranker = ranker_folder(self.paths, self.manifest, self._version_folder) is not None
        rerankers = self.manifest.get("rerankers") or {}
        return tuple(m for m in METHODS if (m != "ranker" or has_ranker) and (m not in RERANK_METHODS or m in rerankers))

    def warm_up(self, method: str | None = None) -> None:
        """Load what ``method`` needs and run one query, so the first real query is not the slow one."""
        self.retrieve("var gr = new GlideRecord('incident');", k=1, method=method)

    def retrieve(self, code_before: str, code_after: str | None = None, scope: str | None = None,
                 k: int = 10, method: str | None = None,
                 exclude_callers: frozenset[str] = frozenset()) -> list[Result]:
        """Rank the namespaces that code in ``scope`` may call next.

        ``exclude_callers`` hides the usage contexts of those scripts from the votes;
        evaluation uses it so a sample never votes for itself.
        """
        method = method or self.default_method
        if method not in self._scorers:
            raise UnknownMethod(f"unknown method {method!r} (known: {', '.join(self._scorers)})")
        started = time.perf_counter()
        query = Query(code_before, code_after, scope)
        signals = self._scorers[method](query, exclude_callers)
        score = np.where(self._admitted(scope), signals.pop("score"), -np.inf)
        context_words = set(query_tokens(query.text(lines_before=20)))  # the ranker's features read the same tokens
        results = [self._result(i, float(score[i]), signals, context_words, scope)
                   for i in top_k(score, k) if np.isfinite(score[i])]
        elapsed = round((time.perf_counter() - started) * 1000, 3)
        for r in results:
            r.evidence["latency_ms"] = elapsed
        return results

    def context_text(self, row: int) -> str:
        """The code before usage context ``row`` (as ``context_callers`` numbers them), read from the
        version's file: queries never need it, so a loaded Retriever does not hold the texts."""
        import pyarrow.parquet as pq

        folder = version_path(self.manifest["version"])
        texts = pq.read_table(self.paths.index.local(f"{folder}/{CONTEXTS_FILE}"), columns=["text"]).column("text")
        return texts.filter(self._context_keep)[row].as_py()

    def _static_signals(self):
        """The static encoder and the usage contexts it embedded (None, None when the version has none):
        their vectors, or above ``context_ivf.IVF_MIN_CONTEXTS`` an inverted file over them."""
        if self._static is None:
            self._static = self._load_static(self._static_folder, self._context_keep)
        return self._static

    def _load_static(self, rel: str, keep: np.ndarray):
        if not self.use_usage:
            return None, None  # semantic votes are usage votes: none without usage
        folder = self.paths.index.local(rel)
        try:
            meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
            encoder = StaticEncoder(fetch_model(self.paths.home, Path(meta["encoder"]).name) or
                                    self.paths.home / meta["encoder"])
            encoder.idf = np.load(folder / "idf.npy")
            if (folder / IVF_FILE).exists():  # the build clustered them: its index holds the only copy
                return encoder, ContextIVF.load(folder / IVF_FILE).kept(keep)
            vectors = self.stored_context_vectors(folder, keep)
        except FileNotFoundError:
            return None, None
        return encoder, searchable(vectors)  # a version built before the build wrote the index

    def stored_context_vectors(self, folder: Path, keep: np.ndarray) -> np.ndarray:
        """The kept usage contexts' static vectors as the version stores them, in float32 (the inverted
        file above ``IVF_MIN_CONTEXTS`` keeps int8 codes of them; ``benchmarks/scaling.py`` compares)."""
        vectors = np.load(folder / "contexts.npy").astype(np.float32)
        if len(vectors) != len(keep):
            raise ValueError(f"index version {self.version}: {len(vectors)} static context vectors "
                             f"for {len(keep)} usage contexts")
        return vectors if keep.all() else vectors[keep]  # no second copy when all are kept

    def _text(self, query: Query) -> str:
        return query.text(lines_before=self.query_lines)

    # -- signals ---------------------------------------------------------------------

    def memoized(self, key: tuple, compute):
        """``compute()``, or the value the memo holds for ``key`` (``query_memo``), when a driver shares one."""
        if self.memo is None:
            return compute()
        # Whatever the signals depend on beyond the query: two retrievers of one version may differ in these.
        return self.memo.value((self.version, self.use_usage, self.query_lines, self.vote_neighbours, *key), compute)

    def _dense(self, query: Query, exclude: frozenset[str] = frozenset()) -> dict[str, np.ndarray]:
        embedder = self.embedder
        sims = self.memoized(("dense", self.memo.hold(embedder) if self.memo else 0, query.code_before,
                              query.code_after), lambda: self._dense_similarities(embedder, query))
        return {"score": sims, "dense": sims}

    def _dense_similarities(self, embedder, query: Query) -> np.ndarray:
        sims = self._similarities(embedder.embed_query(self._text(query)))
        if self.vector_owners is not None:  # a document is as similar as its best chunk
            sims = max_per_owner(sims, self.vector_owners, len(self.docs))
        return sims

    def _similarities(self, query_vector: np.ndarray) -> np.ndarray:
        """Document similarities computed by torch, on the thread pool the embedder just used.

        A numpy (OpenBLAS) product right after the model makes two thread pools fight
        over the cores: on 2 cores a dense query took 38 ms instead of 20.
        """
        own = getattr(self.embedder, "similarities", None)  # an encoder without torch (int8 ONNX) brings its own
        if own is not None:
            return own(self.vectors, query_vector)
        import torch

        if self._torch_vectors is None or self._torch_vectors[0] is not self.vectors:
            self._torch_vectors = (self.vectors, torch.from_numpy(self.vectors))
        return (self._torch_vectors[1] @ torch.from_numpy(np.ascontiguousarray(query_vector))).numpy()

    def _bm25(self, query: Query, exclude: frozenset[str] = frozenset()) -> dict[str, np.ndarray]:
        scores = self.memoized(("bm25", query.code_before, query.code_after), lambda: self.bm25.scores(self._text(query)))
        return {"score": scores, "bm25": scores}

    def _votes(self, query: Query, exclude: frozenset[str] = frozenset(),
               semantic: bool = False) -> dict[str, np.ndarray]:
        return dict(self.memoized(("votes", query.code_before, query.code_after, exclude, semantic),
                                  lambda: self._votes_of(query, exclude, semantic)))

    def _votes_of(self, query: Query, exclude: frozenset[str], semantic: bool) -> dict[str, np.ndarray]:
        if self.contexts_bm25 is None:
            zeros = np.zeros(len(self.docs))
            return {"score": zeros, "votes": zeros, "voters": zeros}
        scores = self.contexts_bm25.scores(self._text(query))
        if not self._all_contexts_kept:
            scores = scores[self._context_keep]  # the index was built over every context
        if exclude:
            scores = np.where(self.caller_codes.written_by(exclude), 0.0, scores)
        votes, voters = neighbour_votes(scores, self.context_targets, len(self.docs), self.vote_neighbours)
        out = {"score": votes, "votes": votes, "voters": voters}
        encoder, context_vectors = self._static_signals() if semantic else (None, None)
        if encoder is not None:
            sims = context_similarities(context_vectors, encoder.encode([self._text(query)])[0])
            if exclude:
                sims = np.where(self.caller_codes.written_by(exclude), 0.0, sims)
            # Cubed similarities: only close precedents should carry weight.
            out["semantic_votes"], _ = neighbour_votes(np.clip(sims, 0, None) ** 3, self.context_targets,
                                                       len(self.docs), self.vote_neighbours)
        return out

    def _hybrid(self, query: Query, exclude: frozenset[str] = frozenset()) -> dict[str, np.ndarray]:
        dense = self._dense(query)["dense"]
        lexical = self._bm25(query)["bm25"]
        return {"score": rrf(dense) + rrf(lexical, has_signal=lexical > 0), "dense": dense, "bm25": lexical}

    def _llm(self, method: str):
        if self.llm is None:
            raise MethodUnavailable(f"method {method!r} needs an LLM: set ANTHROPIC_API_KEY")
        return self.llm

    def _hyde(self, query: Query, exclude: frozenset[str] = frozenset()) -> dict[str, np.ndarray]:
        """The default ranking over the context as if the LLM's likely next lines were already written."""
        lines = hypothetical_completion(self._llm("hyde"), query.code_before, query.code_after)
        extended = Query(f"{query.code_before}\n{lines}", query.code_after, query.scope)
        return self._fusion(extended, exclude)

    def _intent(self, query: Query, exclude: frozenset[str] = frozenset()) -> dict[str, np.ndarray]:
        """The default ranking plus the embedder's match of an intent description to the JSDoc."""
        intent = describe_intent(self._llm("intent"), query.code_before, query.code_after)
        fused = self._fusion(query, exclude)
        sims = self._similarities(self.embedder.embed_query(intent))
        fused["score"] = fused["score"] + 0.5 * floored(sims)
        fused["intent_dense"] = sims
        return fused

    def _ranked(self, query: Query, exclude: frozenset[str] = frozenset()) -> dict[str, np.ndarray]:
        return self.ranking.scores(query, exclude)

    def _reranked(self, method: str, query: Query, exclude: frozenset[str] = frozenset()) -> dict[str, np.ndarray]:
        """The version's first stage, its top N re-ordered by the neural reranker ``method`` names."""
        spec = (self.manifest.get("rerankers") or {}).get(method)
        if not spec:
            raise MethodUnavailable(f"index version {self.version} has no {method} reranker "
                                    "(the rerankers asset did not train it)")
        base = self._scorers[self.manifest.get("rerank_base") or DEFAULT_METHOD](query, exclude)
        score = np.where(self._admitted(query.scope), base["score"], -np.inf)
        top = [i for i in top_k(score, int(spec["top_n"])) if np.isfinite(score[i])]
        reranked = np.zeros(len(self.docs))
        if top:
            texts = self.docs.texts()
            reranked[top] = self._reranker(method, spec).score(query.text(), [texts[i] for i in top])
            score = score.copy()
            score[top] = RERANKED + reranked[top]
        return {**base, "score": score, "rerank": reranked}

    def _reranker(self, method: str, spec: dict):
        """The reranker ``spec`` names, loaded once (a CPU serves the cross-encoder's merged int8 form)."""
        if method not in self._rerankers:
            from deepcodeseek.rerankers.base import load_reranker

            folder = fetch_model(self.paths.home, spec["folder"])
            if folder is None:
                raise MethodUnavailable(f"index version {self.version}: reranker {spec['folder']} is not on disk")
            reranker = load_reranker(folder, "auto")
            self._rerankers[method] = reranker.for_cpu() if getattr(reranker, "device", "") == "cpu" and \
                hasattr(reranker, "for_cpu") else reranker
        return self._rerankers[method]

    def _fusion_lexical(self, query: Query, exclude: frozenset[str] = frozenset()) -> dict[str, np.ndarray]:
        return self._fusion(query, exclude, {**self.fusion_weights, "dense": 0.0})

    def _fusion_semantic(self, query: Query, exclude: frozenset[str] = frozenset()) -> dict[str, np.ndarray]:
        return self._fusion(query, exclude, {**self.fusion_weights, "dense": 0.0, "semantic_votes": SEMANTIC_WEIGHT})

    def fusion_components(self, query: Query, exclude: frozenset[str] = frozenset(),
                          names: tuple[str, ...] = FUSION_SIGNALS) -> dict[str, np.ndarray]:
        """Each fusion signal normalised for summing, plus the raw signals for explanations.

        Only the signals named are computed (dense runs the query model, semantic votes
        the static encoder): calibration asks for all of them once per sample and tries
        every weighting on the same vectors, the serving path only for its nonzero weights.
        """
        lexical = self._bm25(query)["bm25"]
        votes = self._votes(query, exclude, semantic="semantic_votes" in names)
        parts = {"bm25": max_normalised(lexical), "votes": max_normalised(votes["votes"]),
                 "prior": self._prior(exclude)}
        raw = {"bm25": lexical, "votes": votes["votes"], "voters": votes["voters"]}
        if "semantic_votes" in votes:
            parts["semantic_votes"] = max_normalised(votes["semantic_votes"])
            raw["semantic_votes"] = votes["semantic_votes"]
        if "dense" in names:
            dense = self._dense(query)["dense"]
            parts["dense"], raw["dense"] = floored(dense), dense
        return {"parts": parts, "raw": raw}

    def _fusion(self, query: Query, exclude: frozenset[str] = frozenset(),
                weights: dict[str, float] | None = None) -> dict[str, np.ndarray]:
        w = weights or self.fusion_weights
        names = tuple(n for n in FUSION_SIGNALS if w.get(n, 0) > 0 or n in ("bm25", "votes", "prior"))
        components = self.fusion_components(query, exclude, names)
        return {"score": fuse(components["parts"], w), **components["raw"]}

    def _prior(self, exclude: frozenset[str]) -> np.ndarray:
        """Graph prior: how often the instance calls each namespace (held-out scripts not counted)."""
        return max_normalised(np.log1p(self.usage_after(exclude)))

    def usage_after(self, exclude: frozenset[str] = frozenset()) -> np.ndarray:
        """Call sites per document that remain once ``exclude``'s scripts are set aside (what votes can use)."""
        counts = self.usage_counts
        if exclude and len(self.context_callers):
            held_out = self.caller_codes.written_by(exclude)
            if held_out.any():
                counts = counts - np.bincount(self.context_targets[held_out], minlength=len(self.docs))
        return counts

    # -- results ---------------------------------------------------------------------

    def _admitted(self, scope: str | None) -> np.ndarray:
        """Which documents code in ``scope`` may call; computed once per scope, then reused."""
        return self.per_scope("admitted", scope,
                              lambda: np.array([rule is not None for rule in self.scope_rules(scope)], dtype=bool))

    def scope_rules(self, scope: str | None) -> np.ndarray:
        """Per document, the rule that admits a call from ``scope`` (None: not admitted); once per scope."""
        docs = self.docs
        return self.per_scope("rules", scope, lambda: np.array(
            [admission_rule(scope, *values) for values in
             zip(docs.column("scope"), docs.column("access"), docs.column("active"))], dtype=object))

    def per_scope(self, name: str, scope: str | None, compute) -> np.ndarray:
        """The array ``name`` for code in ``scope``, computed by ``compute()`` on first use, then kept
        read-only: what depends on the scope alone (admission and its rules, the ranker's same-scope
        mask, the rank of a prior that sets nothing aside) would otherwise be computed by every query."""
        key = (name, scope)
        value = self._per_scope.get(key)
        if value is None:
            value = compute()
            value.setflags(write=False)
            self._per_scope[key] = value
        return value

    def _result(self, i: int, score: float, signals: dict[str, np.ndarray], context_words: set[str],
                scope: str | None) -> Result:
        docs = self.docs
        methods, matched = _likely_methods(_parsed_methods(docs.stored_methods(i)), context_words)
        evidence = {name: round(float(values[i]), 6) for name, values in signals.items()}
        evidence["matched_method"] = matched
        evidence["scope_rule"] = self.scope_rules(scope)[i]  # the rule that admitted it, computed once per scope
        evidence["usage_count"] = int(docs.column("usage_count")[i])
        return Result(docs.column("namespace")[i], docs.column("api_name")[i], docs.column("scope")[i], methods,
                      score, evidence)


class MethodWords(NamedTuple):
    """A document's methods (usage order, as stored), each one's name words, and all of those words."""

    methods: list[str]
    words: list[frozenset[str]]
    vocabulary: frozenset[str]
    holders: dict[str, tuple[int, ...]]  # word -> positions of the methods whose name holds it


@functools.lru_cache(maxsize=4096)
def _parsed_methods(stored: str) -> MethodWords:
    """A document's methods (its stored JSON list) and each one's name words, parsed once for the 4,096
    lists last returned (thread-safe, shared by the versions a process holds): a query that returns 40
    results parsed every method's JSON and name again, a fifth of a ranked query's time at k = 40."""
    methods = json.loads(stored)
    words = [frozenset(split_identifier(m)) for m in methods]
    holders: dict[str, list[int]] = {}
    for j, names in enumerate(words):
        for word in names:
            holders.setdefault(word, []).append(j)
    return MethodWords(methods, words, frozenset(holders), {w: tuple(js) for w, js in holders.items()})


def _likely_methods(parsed: MethodWords, words: set[str], limit: int = 5) -> tuple[list[str], str | None]:
    """Methods whose name words the query context mentions most, then the most used (usage order).

    Counted over the shared words' holders: ``GlideRecord`` has hundreds of methods, and one set
    intersection per method was most of building a result.
    """
    methods = parsed.methods
    shared = parsed.vocabulary.intersection(words)
    if not shared:
        return methods[:limit], None  # usage order as stored; a new list: the cached one stays as is
    overlaps: dict[int, int] = {}
    for word in shared:
        for j in parsed.holders[word]:
            overlaps[j] = overlaps.get(j, 0) + 1
    order = sorted(overlaps, key=lambda j: (-overlaps[j], j))[:limit]  # most shared words; usage order breaks ties
    if len(order) < limit:
        order += [j for j in range(min(len(methods), limit + len(order))) if j not in overlaps][:limit - len(order)]
    return [methods[j] for j in order], methods[order[0]]

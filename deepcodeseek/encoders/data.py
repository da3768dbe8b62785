"""What students learn from: the instance's code contexts and the teacher's embeddings of them.

Training texts are the usage contexts (the lines before each known call on the
instance) of every script not held out, each also cut to its last few lines, since
a query is sometimes shorter than ten lines. The targets are the teacher's own query
embeddings (float model, left-truncated like served queries); for the contrastive
loss each text keeps the index row of the namespace its call site went on to call,
and the index's document vectors (embedded once by the teacher) are the candidates.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from deepcodeseek.encoders.base import QUERY_MAX_TOKENS
from deepcodeseek.encoders.store import texts_digest
from deepcodeseek.index.contexts import UsageContext

SHORT_WINDOWS = (3, 6)  # extra cuts of each context: its last 3 and last 6 lines


@dataclass
class TrainingSet:
    """Texts, the teacher's embeddings of them, and (for the contrastive loss) their targets."""

    texts: list[str]
    targets: np.ndarray  # (n, d) teacher query embeddings, unit rows
    labels: np.ndarray  # (n,) row of the called document in ``documents``, -1 when unknown
    documents: np.ndarray  # (m, d) the index's document vectors (teacher-embedded)
    digest: str  # content hash of texts, labels and documents: part of every student's key

    def __len__(self) -> int:
        return len(self.texts)

    def split(self, share: float, seed: int = 0) -> tuple["TrainingSet", "TrainingSet"]:
        """A random (fit, validation) split by rows, for early checks on held-back data."""
        order = np.random.default_rng(seed).permutation(len(self))
        cut = int(round(len(self) * (1 - share)))
        return self.subset(order[:cut]), self.subset(order[cut:])

    def subset(self, rows: np.ndarray) -> "TrainingSet":
        rows = np.asarray(rows, dtype=np.int64)
        texts = [self.texts[i] for i in rows]
        return TrainingSet(texts, self.targets[rows], self.labels[rows], self.documents,
                           _digest(texts, self.labels[rows], self.documents))


def training_texts(contexts: Sequence[UsageContext], held_out: set[str], document_ids: Sequence[str],
                   extra_texts: Sequence[str] = (), windows: Sequence[int] = SHORT_WINDOWS) -> tuple[list[str], np.ndarray]:
    """Texts (deduplicated, in a stable order) and their labels: the row of ``document_ids``
    their call site called (``-1`` for ``extra_texts`` or an unknown target).

    ``held_out``: caller sys_ids whose contexts never reach training (the evaluation splits' scripts).
    """
    row_of = {sys_id: i for i, sys_id in enumerate(document_ids)}
    seen: dict[str, int] = {}
    for c in contexts:
        if c.caller_sys_id in held_out or not c.text.strip():
            continue
        label = row_of.get(c.target_sys_id, -1)
        lines = c.text.split("\n")
        for text in [c.text, *("\n".join(lines[-n:]) for n in windows if n < len(lines))]:
            if text.strip() and text not in seen:
                seen[text] = label
    for text in extra_texts:
        if text.strip() and text not in seen:
            seen[text] = -1
    return list(seen), np.fromiter(seen.values(), dtype=np.int64, count=len(seen))


def teacher_query_embeddings(teacher_path: str, texts: Sequence[str], device: str = "cpu", batch_size: int = 64,
                             max_tokens: int = QUERY_MAX_TOKENS, cache_dir: Path | None = None,
                             teacher_id: str = "", progress: Callable[[str], None] | None = None) -> np.ndarray:
    """The float teacher's query embeddings (left truncation to ``max_tokens``).

    Cached per text (by hash) in ``cache_dir``: a changed training set embeds only its new texts.
    """
    hashes = [hashlib.sha256(t.encode("utf-8")).hexdigest()[:32] for t in texts]
    cache = known = None
    if cache_dir is not None:
        tag = hashlib.sha256(f"{teacher_id or teacher_path}|{max_tokens}".encode()).hexdigest()[:16]
        cache = Path(cache_dir) / f"teacher-queries-{tag}.npz"
        known = _read_cache(cache)
    missing = sorted({h: t for h, t in zip(hashes, texts) if not known or h not in known}.items())
    fresh = _embed_with_teacher(teacher_path, [t for _, t in missing], device, batch_size, max_tokens, progress)
    vectors = dict(known or {})
    vectors.update({h: v for (h, _), v in zip(missing, fresh)})
    if cache is not None and missing:
        _write_cache(cache, vectors)
    if not texts:
        return np.zeros((0, fresh.shape[1] if len(fresh) else 0), dtype=np.float32)
    return np.stack([vectors[h] for h in hashes]).astype(np.float32)


def _embed_with_teacher(teacher_path: str, texts: list[str], device: str, batch_size: int, max_tokens: int,
                        progress: Callable[[str], None] | None) -> np.ndarray:
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    from deepcodeseek.index.embedder import _load_model, query_truncation

    model = _load_model(teacher_path, device)
    out = np.zeros((len(texts), _dimension(model)), dtype=np.float32)
    step = max(batch_size, 1) * 16
    with query_truncation(model, max_tokens):
        for start in range(0, len(texts), step):
            chunk = texts[start:start + step]
            out[start:start + len(chunk)] = model.encode(chunk, batch_size=batch_size, normalize_embeddings=True,
                                                         convert_to_numpy=True, show_progress_bar=False)
            if progress:
                progress(f"teacher embeddings {min(start + step, len(texts))}/{len(texts)}")
    return out


def _read_cache(path: Path) -> dict[str, np.ndarray]:
    if not path.exists():
        return {}
    with np.load(path) as cached:
        return dict(zip(cached["hashes"].tolist(), cached["vectors"]))


def _write_cache(path: Path, vectors: dict[str, np.ndarray]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp.npz")
    keys = sorted(vectors)
    np.savez(tmp, hashes=np.asarray(keys), vectors=np.stack([vectors[k] for k in keys]).astype(np.float32))
    tmp.replace(path)


def build_training_set(teacher_path: str, contexts: Sequence[UsageContext], held_out: set[str],
                       document_ids: Sequence[str], document_vectors: np.ndarray, extra_texts: Sequence[str] = (),
                       device: str = "cpu", cache_dir: Path | None = None, teacher_id: str = "",
                       progress: Callable[[str], None] | None = None) -> TrainingSet:
    """Everything a student trains on, from the contexts and the held-out rule the caller decides."""
    texts, labels = training_texts(contexts, held_out, document_ids, extra_texts)
    targets = teacher_query_embeddings(teacher_path, texts, device=device, cache_dir=cache_dir,
                                       teacher_id=teacher_id, progress=progress)
    documents = np.asarray(document_vectors, dtype=np.float32)
    return TrainingSet(texts, targets, labels, documents, _digest(texts, labels, documents))


def _digest(texts: Sequence[str], labels: np.ndarray, documents: np.ndarray) -> str:
    h = hashlib.sha256(texts_digest(texts).encode())
    h.update(np.ascontiguousarray(labels, dtype=np.int64).tobytes())
    h.update(np.ascontiguousarray(documents, dtype=np.float32).tobytes())
    return h.hexdigest()


def _dimension(model) -> int:
    from deepcodeseek.index.embedder import embedding_dimension

    return embedding_dimension(model)

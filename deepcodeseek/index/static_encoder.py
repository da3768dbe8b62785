"""A static query/context encoder distilled from the teacher embedder, for millisecond queries.

Distillation (the model2vec recipe, written here so no extra package pins the
transformers stack): every vocabulary token goes through the teacher alone
(``[CLS] token [SEP]``, mean-pooled), giving one vector per token; the mean vector is
removed so common directions do not dominate. Encoding a text is then a lookup and a
weighted mean, with IDF weights fitted on the documents of the index it serves. The
teacher runs once per model (GPU when present); queries need only the tokenizer.
"""

from __future__ import annotations

import json
import shutil
import time
from functools import lru_cache
from pathlib import Path

import numpy as np

from deepcodeseek import atomic

VECTORS_FILE = "token_vectors.npy"
META_FILE = "static_encoder.json"
TOKENIZER_FILE = "tokenizer.json"
BATCH = 1024


def static_encoder_dir(home: Path, teacher: str) -> Path:
    return Path(home) / "models" / f"static-{teacher}"


def distill(teacher_path: str, out_dir: Path, teacher_name: str, device: str = "cpu") -> Path:
    """Write the token vectors and the tokenizer into ``out_dir`` (atomically); returns it."""
    out_dir = Path(out_dir)
    if (out_dir / META_FILE).exists():
        return out_dir
    import torch
    from sentence_transformers import SentenceTransformer

    from deepcodeseek.index.embedder import embedding_dimension

    started = time.perf_counter()
    model = SentenceTransformer(teacher_path, device=device)
    tokenizer, transformer = model.tokenizer, model[0].auto_model
    size = tokenizer.vocab_size
    vectors = np.zeros((size, embedding_dimension(model)), dtype=np.float32)
    with torch.inference_mode():
        for start in range(0, size, BATCH):
            ids = torch.arange(start, min(size, start + BATCH), device=device).unsqueeze(1)
            batch = torch.cat([torch.full_like(ids, tokenizer.cls_token_id), ids,
                               torch.full_like(ids, tokenizer.sep_token_id)], dim=1)
            hidden = transformer(input_ids=batch, attention_mask=torch.ones_like(batch)).last_hidden_state
            vectors[start: start + len(ids)] = hidden.mean(dim=1).cpu().numpy()
    vectors -= vectors.mean(axis=0, keepdims=True)
    tmp = atomic.temp_dir_beside(out_dir)
    np.save(tmp / VECTORS_FILE, vectors.astype(np.float16))
    shutil.copyfile(Path(teacher_path) / TOKENIZER_FILE, tmp / TOKENIZER_FILE)
    (tmp / META_FILE).write_text(json.dumps({"teacher": teacher_name, "dimension": int(vectors.shape[1]),
                                             "vocabulary": size, "seconds": round(time.perf_counter() - started, 1)}))
    atomic.rename_into_place(tmp, out_dir)  # False when another build distilled the same teacher first
    return out_dir


class StaticEncoder:
    """Token-vector lookup and IDF-weighted mean; thread-safe and cheap to call."""

    def __init__(self, folder: Path):
        from deepcodeseek.index.wordpiece import SharedTokenizer

        self.folder = Path(folder)
        # Kept as stored (float16: 23 MiB for a 30k vocabulary, not 47); rows become float32 as they are
        # gathered, which gives the same values a float32 copy of the table would.
        self.vectors = np.load(self.folder / VECTORS_FILE)
        self._shared = SharedTokenizer.load(self.folder / TOKENIZER_FILE)
        self.tokenizer = self._shared.tokenizer
        self.idf = np.ones(len(self.vectors), dtype=np.float32)

    def token_ids(self, text: str) -> np.ndarray:
        return np.asarray(self._shared.ids(text), dtype=np.int64)

    def fit_idf(self, texts: list[str]) -> np.ndarray:
        """IDF over the texts this encoder will be compared with (the index's documents)."""
        df = np.zeros(len(self.vectors), dtype=np.float64)
        for text in texts:
            df[np.unique(self.token_ids(text))] += 1
        self.idf = (np.log((len(texts) + 1) / (df + 1)) + 1).astype(np.float32)
        return self.idf

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.vectors.shape[1]), dtype=np.float32)
        for i, text in enumerate(texts):
            ids = self.token_ids(text)
            if len(ids):
                v = (self.vectors[ids].astype(np.float32) * self.idf[ids, None]).sum(axis=0)
                out[i] = v / (np.linalg.norm(v) + 1e-9)
        return out


@lru_cache(maxsize=4)
def load_static_encoder(folder: str) -> StaticEncoder:
    return StaticEncoder(Path(folder))

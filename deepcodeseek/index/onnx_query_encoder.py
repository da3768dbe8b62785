"""The serving path's query encoder: the index's model as int8 ONNX, run by onnxruntime without torch.

A query-only process (the service, ``deepcodeseek retrieve``) needs the model for one
short query at a time. Through torch it pays for torch, transformers and
sentence-transformers (about 500 MiB resident and 5 s to import on 2 cores) plus a
float copy of the weights next to the int8 one. The build exports the model once
(per model name, beside the distilled static encoder: ``<home>/models/int8-onnx-<model>``)
with its linear layers quantised to int8 (per channel); queries then need only
onnxruntime and the tokenizer: about 40 MiB, 0.1 s to load, a few milliseconds per
query, at a cosine of about 0.99 to the float model (torch's dynamic int8 copy: 0.93).

Encoding follows sentence-transformers exactly: the query is cut from the left to
``QUERY_MAX_TOKENS`` (the lines nearest the cursor kept), mean-pooled over the
attention mask (or the CLS token, as the model's pooling config says) and L2-normalised.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from deepcodeseek import atomic

MODEL_FILE = "model_int8.onnx"
TOKENIZER_FILE = "tokenizer.json"
META_FILE = "query_encoder.json"
FORMAT = 1


class UnsupportedModel(ValueError):
    """A sentence-transformers folder this exporter does not reproduce (pooling, modules)."""


_threads_per_query: int | None = None  # None: a lone query may use up to 4 cores (the CLI)


def set_threads_per_query(threads: int | None) -> None:
    """Threads each encoder created from now on runs one query on (None: up to 4 cores).

    A service runs queries side by side, one per core, so it sets 1: on 2 cores a
    second thread made a corpus query 0.3 ms faster (4.3 against 4.6 ms) for 1.7 ms more
    CPU (6.2 against 4.5 ms), CPU that the other queries in flight were waiting for.
    """
    global _threads_per_query
    _threads_per_query = threads


def onnx_encoder_dir(home: str | os.PathLike[str], model: str) -> Path:
    return Path(home) / "models" / f"int8-onnx-{Path(model).name}"


def read_pooling(model_path: str | os.PathLike[str]) -> tuple[str, str, bool]:
    """(transformer sub-folder, pooling mode ``mean``/``cls``, normalised) of a sentence-transformers folder."""
    folder = Path(model_path)
    try:
        modules = json.loads((folder / "modules.json").read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise UnsupportedModel(f"{folder}: no modules.json (not a sentence-transformers folder)") from exc
    kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
    if kinds[:2] != ["Transformer", "Pooling"] or any(k not in ("Transformer", "Pooling", "Normalize") for k in kinds):
        raise UnsupportedModel(f"{folder}: modules {kinds} (expected Transformer, Pooling[, Normalize])")
    pooling = json.loads((folder / modules[1]["path"] / "config.json").read_text(encoding="utf-8"))
    mode = pooling.get("pooling_mode") or ("mean" if pooling.get("pooling_mode_mean_tokens") else
                                           "cls" if pooling.get("pooling_mode_cls_token") else "")
    if mode not in ("mean", "cls"):
        raise UnsupportedModel(f"{folder}: pooling {pooling} (mean or cls supported)")
    return modules[0]["path"], mode, "Normalize" in kinds


def export_int8_onnx(model_path: str | os.PathLike[str], out_dir: Path, model_name: str) -> Path:
    """Export the model's transformer to ONNX with int8 linear layers, once; returns ``out_dir``.

    Written beside the target and renamed into place, so a reader never sees half of it.
    Needs torch, onnx and onnxruntime (build time only).
    """
    out_dir = Path(out_dir)
    if (out_dir / META_FILE).exists():
        return out_dir
    import warnings

    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModel

    sub, pooling, normalize = read_pooling(model_path)
    source = Path(model_path) / sub
    work = atomic.temp_dir_beside(out_dir)
    try:
        model = AutoModel.from_pretrained(str(source)).to("cpu").eval()
        inputs = ["input_ids", "attention_mask"] + (["token_type_ids"] if model.config.type_vocab_size else [])

        class LastHidden(torch.nn.Module):
            def __init__(self, inner):
                super().__init__()
                self.inner = inner

            def forward(self, *tensors):
                return self.inner(**dict(zip(inputs, tensors))).last_hidden_state

        example = tuple(torch.ones(1, 8, dtype=torch.long) for _ in inputs)
        axes = {name: {0: "batch", 1: "tokens"} for name in inputs + ["last_hidden_state"]}
        with warnings.catch_warnings(), torch.inference_mode():
            warnings.simplefilter("ignore")
            torch.onnx.export(LastHidden(model), example, str(work / "model.onnx"), input_names=inputs,
                              output_names=["last_hidden_state"], dynamic_axes=axes, opset_version=17, dynamo=False)
        with _quiet_root_logger():  # onnxruntime's quantiser warns on the root logger about optional pre-processing
            quantize_dynamic(str(work / "model.onnx"), str(work / MODEL_FILE), weight_type=QuantType.QInt8,
                             per_channel=True)
        (work / "model.onnx").unlink()
        tokenizer = source / TOKENIZER_FILE if (source / TOKENIZER_FILE).exists() else Path(model_path) / TOKENIZER_FILE
        if not tokenizer.exists():
            raise UnsupportedModel(f"{model_path}: no tokenizer.json (a fast tokenizer is needed)")
        shutil.copyfile(tokenizer, work / TOKENIZER_FILE)
        (work / META_FILE).write_text(json.dumps({
            "format": FORMAT, "model": model_name, "inputs": inputs, "pooling": pooling, "normalize": normalize,
            "max_seq_length": _max_seq_length(Path(model_path), model), "weights": "int8 per channel (dynamic)",
        }, indent=2), encoding="utf-8")
        atomic.rename_into_place(work, out_dir)  # an identical writer may have won the race: fine
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return out_dir


@contextmanager
def _quiet_root_logger():
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(level)


def _max_seq_length(folder: Path, model) -> int:
    try:
        configured = json.loads((folder / "sentence_bert_config.json").read_text(encoding="utf-8")).get("max_seq_length")
    except FileNotFoundError:
        configured = None
    return int(configured or model.config.max_position_embeddings)


class OnnxQueryEmbedder:
    """Queries through the exported int8 model; documents (evaluation only) through the float model.

    Implements the :class:`~deepcodeseek.index.embedder.Embedder` protocol. A query-only
    process never calls :meth:`embed_documents`, so it never loads torch or the float weights.
    """

    uses_torch = False

    def __init__(self, name: str, folder: str | os.PathLike[str], home: str | os.PathLike[str] | None = None,
                 threads: int | None = None):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        from deepcodeseek.index.embedder import QUERY_MAX_TOKENS

        folder = Path(folder)
        self.meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
        self.name, self.device, self.home = name, "cpu", home
        self.max_tokens = min(int(self.meta["max_seq_length"]), QUERY_MAX_TOKENS)
        self.tokenizer = Tokenizer.from_file(str(folder / TOKENIZER_FILE))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(self.max_tokens, direction="left")  # specials kept, oldest tokens dropped
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or _threads_per_query or min(4, os.cpu_count() or 1)
        # No busy-waiting after a run: the similarity product and other requests need the cores.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(folder / MODEL_FILE), options, providers=["CPUExecutionProvider"])
        self._float = None
        self._lock = threading.Lock()

    @property
    def dimension(self) -> int:
        return int(self.session.get_outputs()[0].shape[-1])

    def embed_query(self, text: str) -> np.ndarray:
        encoding = self.tokenizer.encode(text)
        ids = np.asarray([encoding.ids], dtype=np.int64)
        mask = np.asarray([encoding.attention_mask], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self.meta["inputs"]:
            feed["token_type_ids"] = np.zeros_like(ids)
        hidden = self.session.run(None, feed)[0][0]
        if self.meta["pooling"] == "cls":
            vector = hidden[0]
        else:
            weights = mask[0].astype(np.float32)[:, None]
            vector = (hidden * weights).sum(axis=0) / max(1.0, float(weights.sum()))
        if self.meta.get("normalize", True):
            vector = vector / max(1e-12, float(np.linalg.norm(vector)))
        return vector.astype(np.float32)

    def similarities(self, vectors: np.ndarray, query_vector: np.ndarray) -> np.ndarray:
        """Cosine similarities of normalised document vectors to the query, on the calling thread.

        Not through BLAS: a threaded OpenBLAS product of this size took 4-10 ms on two busy
        cores against 0.2-0.8 ms for this loop, and concurrent requests are the parallelism.
        """
        return np.einsum("ij,j->i", vectors, query_vector)

    def embed_documents(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Documents go through the float model the index was embedded with (loaded on first use)."""
        from deepcodeseek.index.embedder import SentenceTransformerEmbedder

        with self._lock:
            if self._float is None:
                self._float = SentenceTransformerEmbedder(self.name, device="cpu", home=self.home)
        return self._float.embed_documents(texts, batch_size)

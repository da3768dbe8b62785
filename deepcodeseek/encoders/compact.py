"""Compact students: the teacher itself, served cheaper.

- :class:`TeacherEncoder`: the sentence-transformers teacher in torch, float or with its
  linear layers in int8 (dynamic quantisation; ``int8`` is the serving path's copy,
  ``index.embedder._int8_copy``; ``int8-channel`` quantises each output channel on its own).
- :class:`OnnxEncoder`: a BERT-style transformer exported to ONNX with mean pooling and
  L2 normalisation in the graph, its MatMuls quantised to int8 per channel by ONNX Runtime;
  queries need only ``onnxruntime``, ``tokenizers`` and numpy (no torch). The same
  export serves the internal students (truncated teachers).
"""

from __future__ import annotations

import io
import json
import shutil
import tempfile
import threading
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from deepcodeseek.encoders.base import (
    QUERY_MAX_TOKENS,
    TOKENIZER_FILE,
    EncoderBase,
    LeftTruncatingTokenizer,
    read_meta,
)

ONNX_FILE = "model.onnx"
QUANTIZATIONS = (None, "int8", "int8-channel")
ONNX_THREADS = 1  # one thread per query: on 2 shared cores, 2 threads were slower (measured, README)


class TeacherEncoder(EncoderBase):
    """The teacher in torch: the reference every student is measured against, and the int8 copies."""

    kind = "teacher"

    def __init__(self, path: str, quantization: str | None = None, name: str | None = None,
                 max_tokens: int = QUERY_MAX_TOKENS):
        if quantization not in QUANTIZATIONS:
            raise ValueError(f"quantization {quantization!r}: expected one of {QUANTIZATIONS}")
        self.path = str(path)
        self.quantization = quantization
        self.max_tokens = max_tokens
        self.name = name or ("teacher" if quantization is None else f"teacher-torch-{quantization}")
        self._lock = threading.Lock()
        self._model = None

    @property
    def model(self):
        with self._lock:
            if self._model is None:
                from deepcodeseek.index.embedder import _int8_copy, _load_model

                model = _load_model(self.path, "cpu")
                if self.quantization == "int8":
                    model = _int8_copy(model)
                elif self.quantization == "int8-channel":
                    model = int8_per_channel_copy(model)
                self._model = model
            return self._model

    @property
    def dimension(self) -> int:
        from deepcodeseek.index.embedder import embedding_dimension

        return embedding_dimension(self.model)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_queries([text])[0]

    def embed_queries(self, texts) -> np.ndarray:
        from deepcodeseek.index.embedder import query_truncation

        model = self.model
        with self._lock, query_truncation(model, self.max_tokens):
            vectors = model.encode(list(texts), normalize_embeddings=True, convert_to_numpy=True,
                                   show_progress_bar=False)
        return vectors.astype(np.float32)

    def memory_bytes(self) -> int:
        return torch_state_bytes(self.model)

    def settings(self) -> dict:
        return {"path": self.path, "quantization": self.quantization, "max_tokens": self.max_tokens}

    @classmethod
    def load(cls, folder: Path) -> "TeacherEncoder":
        meta = read_meta(folder)
        return cls(meta["path"], meta["quantization"], meta["name"], meta.get("max_tokens", QUERY_MAX_TOKENS))


def int8_per_channel_copy(model):
    """Like the serving path's int8 copy, but with one scale per output channel of each
    linear layer (a tighter fit of the weights at the same cost)."""
    import copy

    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.ao's eager quantisation is deprecated in favour of torchao
        qconfig = torch.ao.quantization.per_channel_dynamic_qconfig
        return torch.ao.quantization.quantize_dynamic(copy.deepcopy(model), {torch.nn.Linear: qconfig},
                                                      dtype=torch.qint8)


def torch_state_bytes(module) -> int:
    """Bytes of a module's serialised state (quantised weights count as int8)."""
    import torch

    buffer = io.BytesIO()
    torch.save(module.state_dict(), buffer)
    return buffer.tell()


class OnnxEncoder(EncoderBase):
    """A transformer in ONNX Runtime; the graph returns the unit sentence embedding."""

    kind = "onnx"

    def __init__(self, folder: Path, name: str, max_tokens: int = QUERY_MAX_TOKENS, threads: int = ONNX_THREADS,
                 extra: dict | None = None):
        import onnxruntime as ort

        self.folder = Path(folder)
        self.name = name
        self.max_tokens = max_tokens
        self.threads = threads
        self.extra = dict(extra or {})
        self.tokenizer = LeftTruncatingTokenizer(self.folder / TOKENIZER_FILE, max_tokens)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(self.folder / ONNX_FILE), options, providers=["CPUExecutionProvider"])
        self.input_names = [i.name for i in self.session.get_inputs()]
        self._dimension = int(self.session.get_outputs()[0].shape[-1])

    @property
    def dimension(self) -> int:
        return self._dimension

    def embed_query(self, text: str) -> np.ndarray:
        ids = np.asarray([self.tokenizer.model_ids(text)], dtype=np.int64)
        return self._run(ids, np.ones_like(ids))[0]

    def embed_queries(self, texts) -> np.ndarray:
        """Padded batches (right padding, masked out of the mean) for training-time checks."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        rows = [self.tokenizer.model_ids(t) for t in texts]
        width = max(len(r) for r in rows)
        ids = np.zeros((len(rows), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for i, r in enumerate(rows):
            ids[i, :len(r)], mask[i, :len(r)] = r, 1
        return self._run(ids, mask)

    def _run(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        feeds = {"input_ids": ids, "attention_mask": mask}
        out = self.session.run(None, {k: v for k, v in feeds.items() if k in self.input_names})[0]
        return np.asarray(out, dtype=np.float32)

    def memory_bytes(self) -> int:
        return (self.folder / ONNX_FILE).stat().st_size

    def cost_basis(self, texts: Sequence[str]) -> tuple[str, float]:
        """(the graph it runs, mean tokens it reads per query): encoders that share a graph and
        differ only in their window cost in proportion to the tokens they read, so their order
        by cost is known without a clock (see ``measure.choice_costs``)."""
        from deepcodeseek.measured import file_digest

        tokens = [len(self.tokenizer.model_ids(t)) for t in texts]
        return f"onnx:{file_digest(self.folder / ONNX_FILE)}:{self.threads}", float(np.mean(tokens)) if tokens else 0.0

    def settings(self) -> dict:
        return {"max_tokens": self.max_tokens, "threads": self.threads, **self.extra}

    def write_files(self, folder: Path) -> None:
        shutil.copyfile(self.folder / ONNX_FILE, folder / ONNX_FILE)
        shutil.copyfile(self.folder / TOKENIZER_FILE, folder / TOKENIZER_FILE)

    @classmethod
    def load(cls, folder: Path) -> "OnnxEncoder":
        meta = read_meta(folder)
        known = {"kind", "name", "dimension", "max_tokens", "threads"}
        return cls(folder, meta["name"], meta.get("max_tokens", QUERY_MAX_TOKENS), meta.get("threads", ONNX_THREADS),
                   {k: v for k, v in meta.items() if k not in known})


def export_onnx(transformer, tokenizer_file: Path, out_dir: Path, quantize: str | None = "int8-channel",
                opset: int = 17) -> Path:
    """Write ``transformer`` (a Hugging Face encoder: BertModel and kin) with mean pooling
    and L2 normalisation as ``model.onnx`` in ``out_dir``, int8 when ``quantize`` says so.

    Exported with the TorchScript exporter (no onnxscript needed), batch and sequence
    dynamic; ``int8-channel`` quantises MatMul weights per output channel (cosine to the
    float model ~0.99 on code queries, against ~0.94 per tensor).
    """
    import torch

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    wrapper = _pooled_encoder_class()(transformer).eval()
    sample = torch.ones(1, 8, dtype=torch.long)
    with tempfile.TemporaryDirectory() as tmp:
        float_file = Path(tmp) / "float.onnx"
        with warnings.catch_warnings(), torch.inference_mode():
            warnings.simplefilter("ignore")  # the TorchScript exporter is deprecated; it needs no onnxscript
            torch.onnx.export(wrapper, (sample, torch.ones_like(sample)), str(float_file),
                              input_names=["input_ids", "attention_mask"], output_names=["sentence_embedding"],
                              dynamic_axes={"input_ids": {0: "batch", 1: "sequence"},
                                            "attention_mask": {0: "batch", 1: "sequence"},
                                            "sentence_embedding": {0: "batch"}},
                              opset_version=opset, dynamo=False)
        if quantize is None:
            shutil.copyfile(float_file, out_dir / ONNX_FILE)
        else:
            quantize_onnx(float_file, out_dir / ONNX_FILE, per_channel=quantize == "int8-channel")
    shutil.copyfile(tokenizer_file, out_dir / TOKENIZER_FILE)
    return out_dir / ONNX_FILE


def quantize_onnx(source: Path, target: Path, per_channel: bool = True) -> Path:
    """Dynamic int8 quantisation of the MatMul/Gemm weights (activations quantised per query)."""
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # the quantiser warns about pre-processing on every call
    try:
        quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8, per_channel=per_channel)
    finally:
        root.setLevel(level)
    return target


def _pooled_encoder_class():
    import torch

    class PooledEncoder(torch.nn.Module):
        """Token states -> masked mean -> unit vector: the sentence-transformers head, in the graph."""

        def __init__(self, transformer):
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids, attention_mask):
            hidden = self.transformer(input_ids=input_ids, attention_mask=attention_mask,
                                      token_type_ids=torch.zeros_like(input_ids)).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, dim=-1)

    return PooledEncoder


def onnx_int8_teacher(teacher_path: str, out_dir: Path, name: str = "teacher-onnx-int8",
                      quantize: str = "int8-channel", progress: Callable[[str], None] | None = None) -> OnnxEncoder:
    """The teacher exported to ONNX and quantised to int8: a compact student without training."""
    from deepcodeseek.index.embedder import _load_model

    if not teacher_pooling_is_mean(teacher_path):
        raise ValueError(f"teacher {teacher_path}: the ONNX export pools by mean; this teacher pools otherwise")
    model = _load_model(teacher_path, "cpu")
    if progress:
        progress(f"{name}: exporting {Path(teacher_path).name} to ONNX ({quantize})")
    export_onnx(model[0].auto_model, Path(teacher_path) / TOKENIZER_FILE, out_dir, quantize=quantize)
    return OnnxEncoder(out_dir, name, extra={"quantization": quantize, "teacher": Path(teacher_path).name})


def teacher_pooling_is_mean(teacher_path: str) -> bool:
    """The ONNX graph pools by mean, as all-MiniLM-L6-v2 does; other heads would need their own export."""
    config = Path(teacher_path) / "1_Pooling" / "config.json"
    if not config.exists():
        return True
    pooling = json.loads(config.read_text(encoding="utf-8"))
    return bool(pooling.get("pooling_mode_mean_tokens", pooling.get("pooling_mode") == "mean"))

"""The embedding model on ONNX Runtime: the same sentence-transformers model, exported locally.

Backends (ARCHIVE_EMBEDDING_BACKEND, see index.embed.models.backend_for):
- "onnx-int8" (the default): the model exported to ONNX from its own directory with torch.onnx, then
  its MatMul weights quantised to int8 (ONNX Runtime dynamic quantisation, per channel).
- "onnx": the same export, float32.
- "torch": sentence-transformers on PyTorch, float32 (index.embed.torch_backend).

Nothing is downloaded: the export is made from the model directory (the packaged all-MiniLM-L6-v2,
or ARCHIVE_MODEL when it is a directory) the first time it is needed, and kept outside the
repository in ARCHIVE_CACHE_DIR (default ~/.cache/newsletter-archive)/onnx/, keyed by the model
directory's identity, so a changed model is exported again.  Written under a temporary name and
renamed when complete, so a concurrent or interrupted export never leaves a half-written model.

Encoding matches sentence-transformers: the model's tokenizer truncating at its max_seq_length,
mean pooling over the attention mask, L2 normalisation.  Texts are sorted by length before
batching (length bucketing), so a batch is padded only to the longest of similar texts; int8 runs
one text at a time (see `encode`), so its vectors do not depend on batching.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from index.embed.card import card_languages
from index.embed.protocol import WordPieces

ONNX_BACKENDS = ("onnx-int8", "onnx")
BATCH_SIZE = 32
OPSET = 17


def _export_fp32(model_dir: Path, target: Path) -> None:
    """torch.onnx export of the transformer (last_hidden_state), dynamic batch and sequence axes."""
    import torch
    from transformers import AutoModel

    class LastHiddenState(torch.nn.Module):
        def __init__(self, transformer):
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.transformer(input_ids=input_ids, attention_mask=attention_mask,
                                    token_type_ids=token_type_ids).last_hidden_state

    # Eager attention exports as plain MatMul/Softmax, which ONNX Runtime's optimiser can fuse.
    model = LastHiddenState(AutoModel.from_pretrained(str(model_dir), attn_implementation="eager"))
    model.eval()
    ids = torch.ones((2, 16), dtype=torch.long)
    inputs = (ids, torch.ones_like(ids), torch.zeros_like(ids))
    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {name: {0: "batch", 1: "sequence"} for name in names}
    axes["last_hidden_state"] = {0: "batch", 1: "sequence"}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about shapes taken as constants: checked against torch
        torch.onnx.export(model, inputs, str(target), input_names=names, output_names=["last_hidden_state"],
                          dynamic_axes=axes, opset_version=OPSET, do_constant_folding=True, dynamo=False)


def _quantise(source: Path, target: Path, model_dir: Path) -> None:
    """Fuse what ONNX Runtime's transformer optimiser can (GELU, skip + layer norm), then quantise the
    MatMul weights to int8, per output channel (per tensor loses too much: cosine ~0.94 to fp32)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers.optimizer import optimize_model

    config = _json(model_dir / "config.json")
    optimised = target.with_name(target.name + ".opt.onnx")
    try:
        optimize_model(str(source), model_type="bert", num_heads=int(config.get("num_attention_heads", 0)),
                       hidden_size=int(config.get("hidden_size", 0)), opt_level=1).save_model_to_file(str(optimised))
        quantize_dynamic(str(optimised), str(target), weight_type=QuantType.QInt8, per_channel=True,
                         extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    finally:
        optimised.unlink(missing_ok=True)


def exported_model(model_dir: Path, identity: str, backend: str, export_dir: Path) -> Path:
    """The ONNX file of `backend` for the model in `model_dir` (known by `identity`), exported (and
    quantised) into `export_dir` on first use."""
    folder = export_dir / hashlib.sha256(identity.encode()).hexdigest()[:16]
    fp32, int8 = folder / "model.onnx", folder / "model-int8.onnx"
    target = int8 if backend == "onnx-int8" else fp32
    if target.exists():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "identity.txt").write_text(identity + "\n", encoding="utf-8")
    if not fp32.exists():
        tmp = folder / f".model-{uuid.uuid4().hex[:8]}.onnx"
        try:
            _export_fp32(model_dir, tmp)
            os.replace(tmp, fp32)
        finally:
            tmp.unlink(missing_ok=True)
    if backend == "onnx-int8" and not int8.exists():
        tmp = folder / f".model-int8-{uuid.uuid4().hex[:8]}.onnx"
        try:
            _quantise(fp32, tmp, model_dir)
            os.replace(tmp, int8)
        finally:
            tmp.unlink(missing_ok=True)
    return target


class OnnxEmbedder:
    """A sentence-transformers model directory run on ONNX Runtime: normalised float32 vectors (an
    Embedder).  Safe to call from several threads (ONNX Runtime sessions are).  `files_identity` names
    the model directory's contents (the export is kept by it); `threads` None means every core."""

    def __init__(self, name: str, model_id: str, identity: str, files_identity: str, backend: str,
                 threads: int | None, export_dir: Path):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        if backend not in ONNX_BACKENDS:
            raise ValueError(f"not an ONNX backend: {backend!r}")
        directory = Path(name)
        self.name = name
        self.model_id = model_id
        self.identity = identity
        self.backend = backend
        self.max_length = max_sequence_length(directory)
        threads = threads or max(1, os.cpu_count() or 1)
        pooling = _json(directory / "1_Pooling" / "config.json")
        if pooling and not pooling.get("pooling_mode_mean_tokens", True):
            raise ValueError(f"{name}: only mean pooling is supported by the ONNX backends; use ARCHIVE_EMBEDDING_BACKEND=torch")
        self._tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self._tokenizer.enable_truncation(self.max_length)
        self._tokenizer.no_padding()
        self.tokenizer = directory_word_pieces(directory)
        options = ort.SessionOptions()
        # int8 runs one text at a time (see `encode`): too little work to share between cores, so
        # each run gets one thread and the texts are spread over `threads` runs at once instead.
        options.intra_op_num_threads = 1 if backend == "onnx-int8" else threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        path = exported_model(directory, files_identity, backend, export_dir)
        self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="embed") if backend == "onnx-int8" else None
        self._inputs = {i.name for i in self._session.get_inputs()}
        self.dimension = int(self.encode(["dimension"]).shape[1])

    def encode(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Vectors for `texts`, one row each; `progress(n)` is told after each batch of n texts."""
        encodings = self._tokenizer.encode_batch(list(texts)) if texts else []
        order = sorted(range(len(encodings)), key=lambda i: len(encodings[i].ids))
        out = np.zeros((len(encodings), getattr(self, "dimension", 0) or 1), dtype=np.float32)
        # int8: one text per run.  Dynamic quantisation scales activations by the range of the whole
        # batch, so a text's vector would depend on the texts batched with it; alone it does not, and
        # it is no slower here (no padding at all).  Runs release the GIL, so threads run them at once.
        size = 1 if self.backend == "onnx-int8" else BATCH_SIZE
        run_all = self._pool.map if self._pool and len(encodings) > 1 else map
        for start in range(0, len(order), BATCH_SIZE):
            group = order[start : start + BATCH_SIZE]
            batches = [group[first : first + size] for first in range(0, len(group), size)]
            for batch, vectors in zip(batches, run_all(lambda b: self._run([encodings[i] for i in b]), batches)):
                if out.shape[1] != vectors.shape[1]:
                    out = np.zeros((len(encodings), vectors.shape[1]), dtype=np.float32)
                out[batch] = vectors
            if progress:
                progress(len(group))
        return out

    def _run(self, encodings) -> np.ndarray:
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        types = np.zeros_like(ids)
        for row, e in enumerate(encodings):
            ids[row, : len(e.ids)] = e.ids
            mask[row, : len(e.ids)] = e.attention_mask
            types[row, : len(e.ids)] = e.type_ids
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        hidden = self._session.run(None, {k: v for k, v in feeds.items() if k in self._inputs})[0]
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)


def max_sequence_length(directory: Path) -> int:
    """How many word pieces (special tokens included) the model in `directory` reads."""
    return int(_json(directory / "sentence_bert_config.json").get("max_seq_length", 256))


def directory_word_pieces(directory: Path) -> WordPieces:
    """The tokenizer of the model in `directory` (a fast Rust tokenizer: no torch, milliseconds to load)."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return WordPieces(lambda text: len(tokenizer.encode(text, add_special_tokens=False).ids),
                      max_sequence_length(directory) - 2, card_languages(directory))


def _json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}


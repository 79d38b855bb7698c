"""The local embedding model: WordLlama's static token embeddings (256 dimensions), whose
weights and tokenizer ship inside the `wordllama` wheel. Chosen over a MiniLM transformer run
through onnxruntime for its install size, speed and cold start (docs/benchmarks.md, "Narrative
ICP: embedding model comparison").

The files are opened from the installed package directly: `WordLlama.load()` looks for the
tokenizer under a folder name the wheel does not use and then downloads it from Hugging Face
(whatever `HF_HUB_OFFLINE` says), which must never happen here.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from functools import cache
from importlib import metadata, util
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt

from app.errors import ConfigError

PACKAGE = "wordllama"
WEIGHTS = "weights/l2_supercat_256.safetensors"
TOKENIZER = "tokenizers/l2_supercat_tokenizer_config.json"
INSTALL_HINT = "install the semantic extra: pip install 'icp-sync[semantic]'"
Vectors = npt.NDArray[np.float32]


class Embedder(Protocol):
    """Sentence embeddings, L2-normalised, one row per text."""

    @property
    def version(self) -> str:
        """Names the model and its weights: cached embeddings are kept per version."""
        ...

    def embed(self, texts: Sequence[str]) -> Vectors: ...


class SemanticUnavailable(ConfigError):
    """A rubric reads text by meaning but the model is not installed."""


def available() -> bool:
    return util.find_spec(PACKAGE) is not None


def model_version() -> str:
    """The installed model's version, without loading it."""
    return f"{PACKAGE}-{metadata.version(PACKAGE)}/l2_supercat_256"


def require_model(what: str) -> None:
    """Refuses `what` (a rubric using the semantic rule) when the model is not installed."""
    if not available():
        raise SemanticUnavailable(f"{what} reads text by meaning (`semantic`); {INSTALL_HINT}")


class WordLlamaEmbedder:
    """Thread-safe: the tokenizer is shared, and numpy releases nothing that matters here."""

    def __init__(self) -> None:
        require_model("this rubric")
        from safetensors import safe_open
        from tokenizers import Tokenizer
        from wordllama.inference import WordLlamaInference

        root = Path(str(util.find_spec(PACKAGE).origin)).parent  # type: ignore[union-attr]
        tokenizer = Tokenizer.from_file(str(root / TOKENIZER))
        with safe_open(str(root / WEIGHTS), framework="np", device="cpu") as weights:
            table = weights.get_tensor("embedding.weight")
        self._model = WordLlamaInference(table, tokenizer, binary=False)
        self._lock = threading.Lock()
        self.version = model_version()

    def embed(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, 256), dtype=np.float32)
        with np.errstate(invalid="ignore"), self._lock:
            found = self._model.embed(list(texts), norm=True, batch_size=64)
        # a text with no known token has no direction: a zero vector, similar to nothing
        return np.nan_to_num(np.asarray(found, dtype=np.float32), nan=0.0)


@cache
def local_embedder() -> Embedder:
    """The process's model, loaded once (about half a second)."""
    return WordLlamaEmbedder()

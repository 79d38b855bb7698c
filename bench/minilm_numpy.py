"""A plain numpy forward pass of all-MiniLM-L6-v2, the reference the hand-built ONNX graph is
checked against (`bench/semantic_models.py --check`).

Written straight from the BERT definition in float64, sharing no code with the graph builder,
so a wrong transpose, head split or mask in either one shows up as a difference.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

Array = np.ndarray[Any, Any]


def _layer_norm(x: Array, weights: dict[str, Array], prefix: str, eps: float) -> Array:
    mean = x.mean(axis=-1, keepdims=True)
    variance = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    normed = (x - mean) / np.sqrt(variance + eps)
    scaled: Array = normed * weights[f"{prefix}.weight"] + weights[f"{prefix}.bias"]
    return scaled


def _linear(x: Array, weights: dict[str, Array], prefix: str) -> Array:
    out: Array = x @ weights[f"{prefix}.weight"].T + weights[f"{prefix}.bias"]
    return out


def _erf(x: Array) -> Array:
    values: Array = np.vectorize(math.erf)(x)
    return values


def forward(
    weights: dict[str, Array],
    config: dict[str, Any],
    input_ids: Array,
    attention_mask: Array,
    token_type_ids: Array,
) -> Array:
    """Sentence embeddings (batch x hidden), float64, unit length."""
    w = {key: value.astype(np.float64) for key, value in weights.items()}
    eps, heads = float(config["layer_norm_eps"]), int(config["num_attention_heads"])
    batch, tokens = input_ids.shape
    x = (
        w["embeddings.word_embeddings.weight"][input_ids]
        + w["embeddings.token_type_embeddings.weight"][token_type_ids]
        + w["embeddings.position_embeddings.weight"][:tokens][None, :, :]
    )
    x = _layer_norm(x, w, "embeddings.LayerNorm", eps)
    hidden = x.shape[-1]
    size = hidden // heads
    bias = (1.0 - attention_mask.astype(np.float64))[:, None, None, :] * -10000.0
    for layer in range(int(config["num_hidden_layers"])):
        p = f"encoder.layer.{layer}"

        def heads_of(part: str, x: Array = x, p: str = p) -> Array:
            projected = _linear(x, w, f"{p}.attention.self.{part}")
            return projected.reshape(batch, tokens, heads, size).transpose(0, 2, 1, 3)

        query, key, value = heads_of("query"), heads_of("key"), heads_of("value")
        scores = query @ key.transpose(0, 1, 3, 2) / math.sqrt(size) + bias
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        probabilities = scores / scores.sum(axis=-1, keepdims=True)
        context = (probabilities @ value).transpose(0, 2, 1, 3).reshape(batch, tokens, hidden)
        attended = _linear(context, w, f"{p}.attention.output.dense")
        x = _layer_norm(attended + x, w, f"{p}.attention.output.LayerNorm", eps)
        inner = _linear(x, w, f"{p}.intermediate.dense")
        inner = 0.5 * inner * (1.0 + _erf(inner / math.sqrt(2.0)))
        x = _layer_norm(_linear(inner, w, f"{p}.output.dense") + x, w, f"{p}.output.LayerNorm", eps)
    mask = attention_mask.astype(np.float64)[:, :, None]
    mean = (x * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
    result: Array = mean / np.maximum(np.linalg.norm(mean, axis=1, keepdims=True), 1e-12)
    return result

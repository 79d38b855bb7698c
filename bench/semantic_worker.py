"""One candidate embedding model, run by `bench/semantic_models.py` in that candidate's own venv.

    VENV/bin/python bench/semantic_worker.py {wordllama|minilm} MODE [--texts F] [--out F] ...

Modes: `embed` (texts from a JSON list, unit vectors saved as .npy), `throughput` (seconds per
pass over the texts, one warm-up batch first), `cold` (load, embed one text, print the wall
clock so the caller can time from its process launch), `sizes` (bytes per installed
distribution), `check` (MiniLM only: the ONNX graph against the numpy forward pass). A separate
process per candidate keeps each one's dependencies out of the others' and out of the app's venv.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

Array = np.ndarray[Any, Any]
EmbedBatch = Callable[[list[str], int], Array]
DEFAULT_CACHE = Path(tempfile.gettempdir()) / "icp-sync-bench"
CHECK_TEXTS = [
    "Health food store chain, 27 stores. Moving off an AS/400 is the new CFO's first project.",
    "We sell to mid-market multi-location retailers that still run a legacy on-premise ERP.",
    "N/A",
    "Kette mit 40 Filialen in Bayern; die Warenwirtschaft läuft noch auf einem lokalen Server.",
]


def load(candidate: str, cache_dir: Path) -> EmbedBatch:
    if candidate == "wordllama":
        import wordllama

        # 0.4.0.post1 looks for its shipped tokenizer under tokenizer/ but ships it under
        # tokenizers/, then downloads it; pointing the cache at the package finds both files.
        package = Path(wordllama.__file__).parent
        model = wordllama.WordLlama.load(cache_dir=package, disable_download=True)

        def embed_wordllama(texts: list[str], batch: int) -> Array:
            vectors: Array = model.embed(texts, norm=True, batch_size=batch)
            return vectors.astype(np.float32)

        return embed_wordllama
    if candidate == "minilm":
        from minilm_onnx import Encoder

        return Encoder(cache_dir).embed
    raise SystemExit(f"unknown candidate {candidate!r}")


def _sizes() -> dict[str, int]:
    sizes: dict[str, int] = {}
    for dist in metadata.distributions():
        total = 0
        for file in dist.files or []:
            path = Path(str(dist.locate_file(file)))
            if path.is_file():
                total += path.stat().st_size
        sizes[dist.metadata["Name"].lower().replace("_", "-")] = total
    return sizes


# sentence-transformers' README example for all-MiniLM-L6-v2: three sentences and the cosine
# similarities it prints for them (pairs 0-1, 0-2, 1-2), to 4 decimals.
PUBLISHED = (
    ["The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."],
    [0.6660, 0.1046, 0.1411],
)


def _check(cache_dir: Path) -> dict[str, float]:
    """The graph against the numpy forward pass, and against the model's published figures
    (a shared mistake in both, such as the tokenizer's settings, would pass the first)."""
    from minilm_numpy import forward
    from minilm_onnx import Encoder, encode, load_config, load_weights, model_dir

    encoder, folder = Encoder(cache_dir), model_dir()
    graph = encoder.embed(CHECK_TEXTS)
    inputs = encode(encoder.tokenizer, CHECK_TEXTS)
    reference = forward(load_weights(folder), load_config(folder), **inputs)
    published = encoder.embed(PUBLISHED[0])
    similarity = published @ published.T
    pairs = [similarity[0, 1], similarity[0, 2], similarity[1, 2]]
    return {
        "max_abs_diff": float(np.abs(graph.astype(np.float64) - reference).max()),
        "published_max_diff": float(
            max(abs(a - b) for a, b in zip(pairs, PUBLISHED[1], strict=True))
        ),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("candidate", choices=["wordllama", "minilm"])
    parser.add_argument("mode", choices=["embed", "throughput", "cold", "sizes", "check"])
    parser.add_argument("--texts", type=Path)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE)
    args = parser.parse_args(argv)
    result: dict[str, Any]
    if args.mode == "sizes":
        result = {"sizes": _sizes()}
    elif args.mode == "check":
        result = _check(args.cache_dir) | {"texts": len(CHECK_TEXTS)}
    elif args.mode == "cold":
        load(args.candidate, args.cache_dir)(["A chain of 40 garden centres."], 1)
        result = {"done_ns": time.time_ns()}
    else:
        embed = load(args.candidate, args.cache_dir)
        texts = json.loads(args.texts.read_text(encoding="utf-8"))
        if args.mode == "embed":
            np.save(args.out, embed(texts, args.batch))
            result = {"embedded": len(texts)}
        else:
            embed(texts[: args.batch], args.batch)
            seconds, cpu = [], []
            for _ in range(args.runs):
                start, start_cpu = time.perf_counter(), time.process_time()
                embed(texts, args.batch)
                seconds.append(time.perf_counter() - start)
                cpu.append(time.process_time() - start_cpu)
            result = {"seconds": seconds, "cpu_seconds": cpu, "texts": len(texts)}
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()

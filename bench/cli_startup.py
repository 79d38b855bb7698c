"""How long `icp-sync` takes to start: whole processes, from launch to exit.

    .venv/bin/python bench/cli_startup.py [--runs 7] [--code DIR] [--vs DIR] [--json]
        [--cache-dir DIR | --no-bytecode-cache]

Times `icp-sync --help`, `icp-sync score --help` and `icp-sync score -i app/samples/accounts.csv`
(the 24-row sample, the shipped rubric) as an installed command runs them: the console script
next to this interpreter, with `PYTHONPATH=DIR` so DIR's code is the one imported (default:
this checkout), in an empty working directory and without `ICP_SYNC_*` variables (default
settings, no `.env`). `--vs DIR` times a second checkout too (main's, say), the two in turn
run by run, so both see the same machine. One warm-up run per command and checkout, then
`--runs` counted runs; prints min, median and max of the wall time and of the CPU time
(user + system, the children's `os.times()`), which a busy machine inflates less.

Bytecode: an installed package has its modules compiled (pip does it), but this machine sets
`PYTHONDONTWRITEBYTECODE=1` over a venv without `.pyc` files, where every run compiles every
module it imports again. So the warm-up writes the bytecode under `--cache-dir`
(`PYTHONPYCACHEPREFIX`) and the counted runs read it; `--no-bytecode-cache` times compiling.
Each run's output is read and discarded; a run that exits non-zero is an error.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
SAMPLE = HERE / "app" / "samples" / "accounts.csv"
COMMANDS = {
    "--help": ["--help"],
    "score --help": ["score", "--help"],
    "score -i accounts.csv": ["score", "-i", str(SAMPLE)],
}


def entry_point() -> str:
    script = Path(sys.executable).with_name("icp-sync")
    if not script.exists():
        raise SystemExit(f"no icp-sync console script beside {sys.executable}")
    return str(script)


def environment(code: Path, bytecode: Path | None) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("ICP_SYNC_") and key != "PYTHONPATH"
    }
    env |= {"PYTHONPATH": str(code), "COLUMNS": "100"}
    if bytecode is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(bytecode)
    return env


def run_once(command: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one run."""
    before = os.times()
    started = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, check=False)  # noqa: S603
    wall = time.perf_counter() - started
    after = os.times()
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited {done.returncode}: {done.stderr.decode()}")
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    return wall, cpu


def summary(times: list[float]) -> dict[str, float]:
    return {
        "min_s": round(min(times), 4),
        "median_s": round(statistics.median(times), 4),
        "max_s": round(max(times), 4),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--code", type=Path, default=HERE, help="Checkout to time.")
    parser.add_argument("--vs", type=Path, default=None, help="A second checkout to time.")
    parser.add_argument("--json", action="store_true", help="Print a JSON object.")
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "icp-sync-bench-cli",
        help="Where the compiled bytecode is kept between runs.",
    )
    parser.add_argument(
        "--no-bytecode-cache",
        action="store_true",
        help="Compile every module in every run (no PYTHONPYCACHEPREFIX).",
    )
    args = parser.parse_args()
    script = entry_point()
    bytecode = None if args.no_bytecode_cache else args.cache_dir.resolve() / "bytecode"
    checkouts = [args.code.resolve()] + ([args.vs.resolve()] if args.vs else [])
    wall: dict[str, dict[str, list[float]]] = {str(c): {} for c in checkouts}
    cpu: dict[str, dict[str, list[float]]] = {str(c): {} for c in checkouts}
    with tempfile.TemporaryDirectory() as empty:
        for name, arguments in COMMANDS.items():
            command = [script, *arguments]
            for code in checkouts:
                run_once(command, environment(code, bytecode), Path(empty))  # warm-up
                wall[str(code)][name], cpu[str(code)][name] = [], []
            for _ in range(args.runs):
                for code in checkouts:
                    took, used = run_once(command, environment(code, bytecode), Path(empty))
                    wall[str(code)][name].append(took)
                    cpu[str(code)][name].append(used)
    result = {
        code: {
            name: {"wall": summary(runs), "cpu": summary(cpu[code][name])}
            for name, runs in per_command.items()
        }
        for code, per_command in wall.items()
    }
    if args.json:
        document = {"runs": args.runs, "bytecode_cache": str(bytecode), "checkouts": result}
        print(json.dumps(document, indent=2))
        return 0
    cached = "compiled once" if bytecode else "compiled every run"
    for code, per_command in result.items():
        print(f"{code} ({args.runs} runs each, bytecode {cached})")
        for name, figures in per_command.items():
            w, c = figures["wall"], figures["cpu"]
            print(
                f"  icp-sync {name:<22} wall median {w['median_s']:.3f} s"
                f" ({w['min_s']:.3f}-{w['max_s']:.3f}); CPU median {c['median_s']:.3f} s"
                f" ({c['min_s']:.3f}-{c['max_s']:.3f})"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())

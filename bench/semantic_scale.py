"""The `semantic` rubric rule at scale (issue 20): a store of HubSpot companies whose
`description` holds varied text, rescored in bulk by a rubric with a semantic criterion and
disqualifier (bench/data/narrative_rubric.yaml) with a cold and a warm embedding cache, beside
the same store rescored by the default rubric (no semantic rule), in the same sitting.

    PYTHONPATH=$PWD:$PWD/bench .venv/bin/python bench/semantic_scale.py \\
        --accounts 100000 --runs 5 [--database-url postgresql+psycopg://…] [--json]

The store is seeded once by bench/store_seed.py (kept under --cache as bulk_rescore.py keeps
its own, by size), each company's `description` composed from a labelled text of
bench/data/narrative_icp/descriptions.jsonl and one to three sentences of its city, founding
year, headcount, … so nearly every text is distinct. Each run works on a fresh copy and times
the roll-out's rescoring phase (`bulk_rescore.timed_phase`: the bulk mode, one scoring process
per core), each phase in a fresh process:

- semantic rubric: `cold` (the store unscored, `text_embeddings` empty: every text embedded),
  `warm` (the same rubric again, no text changed: nothing to embed, nothing rescored),
  `rollout` (one weight changed: every record rescored, its vectors read from the cache);
- default rubric: the same three phases (`first`, `again`, `rollout`).

Embeddings are counted in every process that computes them (the writer and the scoring
processes): the renderer handed to the bulk mode is pickled into each, and unpickling it wraps
`app.semantic.enrich.local_embedder` and `app.semantic.embedding.embed_texts` there with counters
that append to a file. Also measured: the model's throughput alone (one process), and the size
of `text_embeddings` after a cold run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from bulk_rescore import Store, changed_rubric, in_fresh_process
from sqlalchemy import func, select, text

from app.rubric import Rubric, load_rubric
from app.rubric.loader import parse_rubric
from app.semantic.model import Embedder, local_embedder
from app.semantic.text import split_sentences
from app.semantic.vectors import Vectors
from app.store.engine import make_engine
from app.store.tables import TextEmbedding
from connectors.base import AccountScore
from connectors.hubspot.render import render_score

DATA = Path(__file__).parent / "data"
RUBRIC = DATA / "narrative_rubric.yaml"
DESCRIPTIONS = DATA / "narrative_icp" / "descriptions.jsonl"
CITIES = ("Rotterdam", "Leeds", "Lyon", "Porto", "Graz", "Malmö", "Tampere", "Gdańsk", "Bilbao",
          "Turin", "Aarhus", "Cork", "Ghent", "Brno", "Dresden", "Columbus", "Tucson", "Boise",
          "Halifax", "Calgary", "Adelaide", "Hamilton", "Osaka", "Pune", "Austin", "Denver",
          "Nantes", "Utrecht", "Bergen", "Leipzig", "Seville", "Bologna", "Krakow", "Tallinn",
          "Omaha", "Raleigh", "Quebec City", "Perth", "Christchurch", "Cardiff")  # fmt: skip
SUFFIXES = (
    "Headquartered in {city}.",
    "Founded in {year}.",
    "Around {staff} employees.",
    "Family-owned since {year}.",
    "Head office and distribution centre in {city}.",
    "Roughly {staff} people across the business.",
    "Revenue of about {revenue} million last year.",
    "Listed on the {city} stock exchange in {year}.",
    "Opened its first location in {city} in {year}.",
    "Employs {staff} staff, a third of them part-time.",
)


def descriptions(count: int, seed: int = 7) -> list[str]:
    """`count` company descriptions: a labelled text and one to three suffix sentences."""
    texts = [json.loads(line)["text"] for line in DESCRIPTIONS.read_text().splitlines() if line]
    rng = random.Random(seed)
    found: list[str] = []
    for _ in range(count):
        extra = [
            suffix.format(city=rng.choice(CITIES), year=rng.randint(1921, 2022),
                          staff=rng.randint(12, 4000), revenue=rng.randint(2, 900))
            for suffix in rng.sample(SUFFIXES, rng.randint(1, 3))
        ]  # fmt: skip
        found.append(" ".join([rng.choice(texts), *extra]))
    return found


def narrative_rubric() -> Rubric:
    return load_rubric(RUBRIC)


def changed_narrative_rubric() -> Rubric:
    """The bench rubric with its first firmographic weight changed (as
    `bulk_rescore.changed_rubric`), from its document: a semantic rule's dump does not validate
    again (its `field` is derived from its id, and refused when given)."""
    data = yaml.safe_load(RUBRIC.read_text())
    data["layers"]["firmographic"]["criteria"][0]["weight"] += 5
    return parse_rubric(data)


class _CountingEmbedder:
    """The process's model, appending how many sentences each call embeds to `path`."""

    def __init__(self, model: Embedder, path: str) -> None:
        self._model, self._path = model, path
        self.version = model.version

    def embed(self, texts: Sequence[str]) -> Vectors:
        _note(self._path, "sentences", len(texts))
        return self._model.embed(texts)


def _note(path: str, what: str, count: int) -> None:
    with open(path, "a") as sink:  # one short O_APPEND write: whole lines from any process
        sink.write(f"{os.getpid()} {what} {count}\n")


def _install_counters(path: str) -> None:
    """Wraps this process's model and `embed_texts` with counters writing to `path`."""
    import app.semantic.embedding as embedding
    import app.semantic.enrich as enrich

    if getattr(enrich.local_embedder, "counting", False):  # type: ignore[attr-defined]
        return
    counting = _CountingEmbedder(local_embedder(), path)
    embed_texts = embedding.embed_texts

    def counted(embedder: Embedder, texts: Iterable[str]) -> dict[str, Vectors]:
        pending = list(dict.fromkeys(texts))
        _note(path, "texts", len(pending))
        return embed_texts(embedder, pending)

    def provider() -> Embedder:
        return counting

    provider.counting = True  # type: ignore[attr-defined]
    enrich.local_embedder = provider  # type: ignore[attr-defined,assignment]
    embedding.embed_texts = counted


class CountingRender:
    """HubSpot's renderer, which installs the embedding counters in each process it is
    unpickled in: the timed process and the bulk mode's scoring processes (`spawn`ed, so a
    patch made before they start does not reach them)."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __call__(self, score: AccountScore) -> Mapping[str, str]:
        return render_score(score)

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return _counting_render, (self.path,)


def _counting_render(path: str) -> CountingRender:
    _install_counters(path)
    return CountingRender(path)


def counted(path: Path) -> dict[str, int]:
    """Texts and sentences embedded, and by how many processes, from a counters file."""
    totals = {"texts": 0, "sentences": 0}
    processes: set[str] = set()
    if path.exists():
        for line in path.read_text().splitlines():
            pid, what, count = line.split()
            totals[what] += int(count)
            processes.add(pid)
    return {"texts_embedded": totals["texts"], "sentences_embedded": totals["sentences"],
            "embedding_processes": len(processes)}  # fmt: skip


def cache_size(url: str) -> dict[str, Any]:
    """Rows of `text_embeddings`, their vectors' bytes, and the table's size on disk (with its
    index) where the database tells it."""
    engine = make_engine(url)
    with engine.connect() as connection:
        rows, vector_bytes, sentences = connection.execute(
            select(
                func.count(),
                func.coalesce(func.sum(func.length(TextEmbedding.vectors)), 0),
                func.coalesce(func.sum(TextEmbedding.sentences), 0),
            )
        ).one()
        on_disk: int | None
        if engine.dialect.name == "postgresql":
            on_disk = connection.scalar(text("SELECT pg_total_relation_size('text_embeddings')"))
        else:
            try:
                on_disk = connection.scalar(
                    text("SELECT sum(pgsize) FROM dbstat WHERE tbl_name = 'text_embeddings'")
                )
            except Exception:  # dbstat is compiled out of some SQLite builds
                on_disk = None
    engine.dispose()
    return {
        "rows": rows,
        "sentences_per_row": round(sentences / max(1, rows), 2),
        "vector_bytes_per_row": round(vector_bytes / max(1, rows)),
        "vector_mb": round(vector_bytes / 1e6, 1),
        "on_disk_mb": None if on_disk is None else round(int(on_disk) / 1e6, 1),
        "on_disk_bytes_per_row": None if on_disk is None else round(int(on_disk) / max(1, rows)),
    }


def throughput(texts: Sequence[str], repeats: int = 3) -> dict[str, Any]:
    """The model alone in this process: texts and sentences embedded per second (best of
    `repeats`, after a warm-up), as `embed_texts` batches them."""
    from app.semantic.embedding import embed_texts

    model = local_embedder()
    embed_texts(model, texts[:512])
    sentences = sum(len(split_sentences(t)) for t in texts)
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        embed_texts(model, texts)
        best = min(best, time.perf_counter() - started)
    return {
        "texts": len(texts),
        "sentences": sentences,
        "seconds": round(best, 2),
        "texts_per_s": round(len(texts) / best),
        "sentences_per_s": round(sentences / best),
    }


class SemanticStore(Store):
    """bulk_rescore's seeded store and fresh copies, named apart (its companies have a
    description) and seeded with one."""

    def __init__(self, options: argparse.Namespace) -> None:
        super().__init__(options, "semantic")

    def ensure_seeded(self) -> None:
        from store_seed import seed_store

        o = self.options
        if o.database == "sqlite" and self.seed.exists():
            return
        if o.database == "postgresql":
            exists = f"SELECT 1 FROM pg_database WHERE datname = '{self.seed_name}'"  # noqa: S608
            if self._sql(exists):
                return
            self._sql(f"CREATE DATABASE {self.seed_name}")
        texts = descriptions(o.accounts, o.seed)
        seed_store(self.seed_url, o.accounts, o.deals, o.seed,
                   lambda i: {"description": texts[i]})  # fmt: skip


def timed(url: str, rubric: Rubric, counters: Path) -> dict[str, Any]:
    """One phase in a fresh process, with what it embedded."""
    counters.unlink(missing_ok=True)
    result = in_fresh_process(url, rubric, CountingRender(str(counters)))
    return result | counted(counters)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--deals", type=int, default=10_000, help="closed deals")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url", help="a PostgreSQL server (default: SQLite files)")
    parser.add_argument("--cache", default=str(Path.home() / ".cache" / "icp-sync-bench"))
    parser.add_argument("--drop", action="store_true", help="drop the seeded store at the end")
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()
    options.database = "postgresql" if options.database_url else "sqlite"
    options.postgres = options.database_url or ""
    Path(options.cache).mkdir(parents=True, exist_ok=True)
    store = SemanticStore(options)
    started = time.perf_counter()
    store.ensure_seeded()
    seeded_s = time.perf_counter() - started
    texts = descriptions(options.accounts, options.seed)
    semantic, default = narrative_rubric(), load_rubric()
    plan = {
        "semantic": (
            ("cold", semantic),
            ("warm", semantic),
            ("rollout", changed_narrative_rubric()),
        ),
        "default": (("first", default), ("again", default), ("rollout", changed_rubric())),
    }
    runs: dict[str, list[dict[str, Any]]] = {
        f"{name}.{phase}": [] for name, phases in plan.items() for phase, _ in phases
    }
    size: dict[str, Any] = {}
    machine = {"nproc": os.cpu_count(), "cpu": _cpu_model(), "python": platform.python_version(),
               "load_at_start": [round(x, 2) for x in os.getloadavg()]}  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        counters = Path(folder) / "embedded.txt"
        try:
            for _ in range(options.runs):
                for name, phases in plan.items():
                    url = store.fresh()
                    for phase, rubric in phases:
                        runs[f"{name}.{phase}"].append(timed(url, rubric, counters))
                        if (name, phase) == ("semantic", "cold"):
                            size = cache_size(url)
                print(json.dumps({k: v[-1] for k, v in runs.items()}), file=sys.stderr)
        finally:
            store.clean()
    model = throughput(texts[:20_000])
    summary = {
        "database": options.database,
        "accounts": options.accounts,
        "distinct_texts": len(set(texts)),
        "seeded_s": round(seeded_s, 1),
        "runs": options.runs,
        "median_seconds": {k: statistics.median(r["seconds"] for r in v) for k, v in runs.items()},
        "text_embeddings": size,
        "model_alone": model,
        "machine": machine | {"load_at_end": [round(x, 2) for x in os.getloadavg()]},
        "phases": runs,
    }
    if options.json:
        print(json.dumps(summary))
    else:
        for key in ("database", "accounts", "distinct_texts", "text_embeddings", "model_alone",
                    "machine"):  # fmt: skip
            print(f"{key}: {summary[key]}")
        for phase, results in runs.items():
            median = summary["median_seconds"][phase]
            embedded = [r["texts_embedded"] for r in results]
            rate = options.accounts / median
            print(f"{phase}: median {median:.1f}s over {len(results)} runs "
                  f"({rate:,.0f} accounts/s), texts embedded {embedded}")  # fmt: skip
            for r in results:
                print(f"  {r}")
    return 0


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


if __name__ == "__main__":
    raise SystemExit(main())

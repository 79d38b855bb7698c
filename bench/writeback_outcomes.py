"""CPU per write of the write-back's own bookkeeping (issue 18): claim, mark `sending`, record
the outcomes, commit, for `--records` owed writes in batches of `--batch`, against a CRM stub
that answers every write at once (no HTTP), so what is measured is this process's store work,
the part that must stay well under the CRM's rate limit.

    PYTHONPATH=. .venv/bin/python bench/writeback_outcomes.py [--records 20000] [--batch 100]
        [--fail-every 0] [--database-url URL] [--runs 5] [--json]

Seeds a fresh SQLite file (or the given PostgreSQL database, which must be empty: it is
migrated to head, and its rows are dropped after each run) with accounts, each owed a write;
then times `UpdatePipeline.write_back_all_committing`. Reported per run: wall seconds, writes/s,
process CPU seconds and CPU milliseconds per write; and the median of the runs. The machine's
load moves wall time more than CPU time: compare CPU per write."""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import delete, insert

from app.rubric import load_rubric
from app.scoring import compile_rubric
from app.store.engine import make_engine, make_session_factory
from app.store.migrate import upgrade_to_head
from app.store.tables import Account, WritebackState
from app.sync.pipeline import UpdatePipeline
from app.sync.writeback import PENDING, values_hash
from connectors.base import CrmConnector
from connectors.records import PropertyUpdate, WriteOutcome

NOW = datetime(2026, 12, 5, tzinfo=UTC)


class InstantCrm:
    """Answers every write at once: written, or every `fail_every`-th refused."""

    source = "hubspot"

    def __init__(self, fail_every: int) -> None:
        self._fail_every = fail_every
        self._count = 0

    def write(self, updates: Sequence[PropertyUpdate]) -> list[WriteOutcome]:
        outcomes = []
        for update in updates:
            self._count += 1
            refused = self._fail_every > 0 and self._count % self._fail_every == 0
            error = "refused" if refused else None
            outcomes.append(WriteOutcome(update.crm_id, not refused, error))
        return outcomes


def _seed(url: str, records: int) -> None:
    engine = make_engine(url)
    values = {"icp_score": "80", "icp_tier": "tier_1"}
    with engine.begin() as connection:
        connection.execute(delete(WritebackState))
        connection.execute(delete(Account))
        connection.execute(insert(Account), [
            {"id": i, "source": "hubspot", "object_type": "company", "crm_id": str(i),
             "name": f"Company {i}", "technologies": [], "properties": {},
             "crm_updated_at": NOW, "fetched_at": NOW}
            for i in range(1, records + 1)
        ])  # fmt: skip
        connection.execute(insert(WritebackState), [
            {"account_id": i, "values": {**values, "icp_score": str(i % 100)},
             "values_hash": values_hash({**values, "icp_score": str(i % 100)}),
             "status": PENDING, "attempts": 0, "updated_at": NOW}
            for i in range(1, records + 1)
        ])  # fmt: skip
    engine.dispose()


def run(url: str, records: int, batch: int, fail_every: int) -> dict[str, Any]:
    _seed(url, records)
    engine = make_engine(url)
    rubric = compile_rubric(load_rubric())
    with make_session_factory(engine)() as session:
        pipeline = UpdatePipeline(
            session, cast(CrmConnector, InstantCrm(fail_every)), rubric, lambda: NOW
        )
        wall, cpu = time.perf_counter(), time.process_time()
        result = pipeline.write_back_all_committing(batch)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    engine.dispose()
    writes = result.written + result.failed
    assert writes == records, (result, records)
    return {
        "writes": writes,
        "failed": result.failed,
        "wall_s": round(wall, 2),
        "writes_per_s": round(writes / wall),
        "cpu_s": round(cpu, 2),
        "cpu_ms_per_write": round(cpu * 1000 / writes, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--fail-every", type=int, default=0)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'store.db'}"
        upgrade_to_head(url)
        runs = [run(url, args.records, args.batch, args.fail_every) for _ in range(args.runs)]
    summary = {
        "runs": runs,
        "median_cpu_ms_per_write": statistics.median(r["cpu_ms_per_write"] for r in runs),
        "median_writes_per_s": statistics.median(r["writes_per_s"] for r in runs),
    }
    if args.json:
        print(json.dumps(summary))
        return
    for r in runs:
        print(r)
    print(
        f"median: {summary['median_cpu_ms_per_write']} CPU ms/write, "
        f"{summary['median_writes_per_s']} writes/s"
    )


if __name__ == "__main__":
    main()

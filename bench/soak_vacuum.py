"""PostgreSQL's autovacuum, by its default rules, for a server that runs with it off (a test
server: `SHOW autovacuum` is `off` on the shared benchmark host). A soak measuring a store's
size on such a server would see deleted rows never reclaimed, which no production server does.

Once a `naptime` (60 s, PostgreSQL's default), for every table of the database: VACUUM it when
its dead rows exceed 50 + 20 % of its rows (`autovacuum_vacuum_threshold`,
`autovacuum_vacuum_scale_factor`) or its inserts since the last vacuum exceed 1,000 + 20 %
(`autovacuum_vacuum_insert_*`), ANALYZE it when its changes since the last analyze exceed 50 +
10 % (`autovacuum_analyze_*`); the counts come from pg_stat_user_tables, as autovacuum's do.

    .venv/bin/python bench/soak_vacuum.py postgresql+psycopg://postgres@127.0.0.1:5432/db
"""

from __future__ import annotations

import sys
import threading
import time
from datetime import UTC, datetime

from sqlalchemy import Engine, create_engine, text

NAPTIME_S = 60.0
STATS = text(
    "SELECT relname, n_live_tup, n_dead_tup, n_ins_since_vacuum, n_mod_since_analyze "
    "FROM pg_stat_user_tables"
)


def due(live: int, dead: int, inserted: int, modified: int) -> tuple[bool, bool]:
    """(vacuum, analyze) by PostgreSQL 15's default autovacuum thresholds."""
    vacuum = dead > 50 + 0.2 * live or inserted > 1_000 + 0.2 * live
    analyze = modified > 50 + 0.1 * live
    return vacuum, analyze


def one_round(engine: Engine) -> list[str]:
    """Vacuums and analyzes what is due; returns what it did."""
    done: list[str] = []
    with engine.connect() as connection:
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        for name, live, dead, inserted, modified in connection.execute(STATS).all():
            vacuum, analyze = due(live, dead, inserted, modified)
            if vacuum or analyze:
                verb = "VACUUM ANALYZE" if vacuum and analyze else "VACUUM" if vacuum else "ANALYZE"
                connection.execute(text(f'{verb} "{name}"'))
                done.append(f"{verb} {name} (live {live}, dead {dead}, inserted {inserted})")
    return done


def autovacuum_off(engine: Engine) -> bool:
    if engine.dialect.name != "postgresql":
        return False
    with engine.connect() as connection:
        return str(connection.execute(text("SHOW autovacuum")).scalar_one()) == "off"


def start_emulating(engine: Engine, stop: threading.Event, log: list[str]) -> threading.Thread:
    """Runs `one_round` every `NAPTIME_S` until `stop` is set, appending what it did to `log`."""

    def run() -> None:
        while not stop.wait(NAPTIME_S):
            log.extend(f"{datetime.now(UTC):%H:%M:%S} {line}" for line in one_round(engine))

    thread = threading.Thread(target=run, name="autovacuum-emulation", daemon=True)
    thread.start()
    return thread


def main() -> int:
    engine = create_engine(sys.argv[1])
    while True:
        for line in one_round(engine):
            print(f"{datetime.now(UTC):%H:%M:%S} {line}", flush=True)
        time.sleep(NAPTIME_S)


if __name__ == "__main__":
    sys.exit(main())

"""The store's cluster locks on PostgreSQL: an advisory lock belongs to one database, so a
store sharing the server with another (staging beside production) neither waits for nor names
the other's holder."""

from __future__ import annotations

import pytest

from app.store.engine import make_engine
from app.store.locks import UNKNOWN_HOLDER, cluster_lock, lock_holder, sync_lock_name

pytestmark = pytest.mark.postgres


def test_given_another_database_holding_the_sync_lock_then_this_store_takes_it_and_names_no_one(
    postgres_url: str, postgres_server_url: str
) -> None:
    ours, other = make_engine(postgres_url), make_engine(postgres_server_url)
    name = sync_lock_name("hubspot")
    try:
        with cluster_lock(other, name, "staging sync pid 1") as staging_holds:
            holder = lock_holder(ours, name)
            with cluster_lock(ours, name, "production sync pid 2") as we_hold:
                named = lock_holder(ours, name)
    finally:
        ours.dispose()
        other.dispose()

    assert staging_holds
    assert holder == UNKNOWN_HOLDER
    assert we_hold
    assert named == "production sync pid 2"

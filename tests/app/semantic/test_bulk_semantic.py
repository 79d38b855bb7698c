"""The bulk mode (app.sync.bulk) with a semantic rubric, on a real store: it scores as the
per-record path does, keeps the vectors its scoring computed, and a second pass over unchanged
texts loads none."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app.store.tables import Score, TextEmbedding
from app.sync.bulk import BulkRescore
from connectors.hubspot.render import render_score
from tests.app.semantic.support import CountingEmbedder, semantic_rubric
from tests.app.sync.records import LATER, T0, company, store

TEXTS = [
    "Family-owned chain of 45 supermarkets whose aging store software cannot keep up.",
    "The state liquor agency runs shops and buys everything through public tenders.",
    "Open-source observability for Kubernetes clusters.",
    "",
]


@pytest.fixture
def counting(monkeypatch: pytest.MonkeyPatch) -> CountingEmbedder:
    embedder = CountingEmbedder()
    monkeypatch.setattr("app.semantic.enrich.local_embedder", lambda: embedder)
    return embedder


def _bulk(sessions: sessionmaker[Session], now: datetime) -> int:
    """One in-process bulk pass over HubSpot's records in pages of 3; how many were scored."""
    scored = 0
    with sessions() as session:
        rescorer = BulkRescore(session, "hubspot", semantic_rubric(), render_score, processes=0)
        after = 0
        while True:
            page, last = rescorer.page(after, 3, now)
            if last is None:
                break
            scored += page.scored
            after = last
        session.commit()
    return scored


def test_given_described_companies_when_bulk_rescored_then_reasons_quote_them_and_vectors_stay(
    sessions: sessionmaker[Session], counting: CountingEmbedder
) -> None:
    with sessions() as session:
        store(
            session, *(company(str(i), properties={"description": t}) for i, t in enumerate(TEXTS))
        )
        session.commit()

    assert _bulk(sessions, T0) == len(TEXTS)

    with sessions() as session:
        reasons = [r for (rs,) in session.execute(select(Score.reasons)) for r in rs]
        kept = session.scalar(select(func.count()).select_from(TextEmbedding))
    assert sum(r.startswith("Narrative fit: '") for r in reasons) == 3  # the empty text: none
    assert sum("→ disqualified (public_body)" in r for r in reasons) == 1
    assert kept == 3  # each described text once: criterion and disqualifier read the same


def test_given_unchanged_texts_when_bulk_rescored_again_then_nothing_is_loaded_or_scored(
    sessions: sessionmaker[Session], counting: CountingEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    with sessions() as session:
        store(
            session, *(company(str(i), properties={"description": t}) for i, t in enumerate(TEXTS))
        )
        session.commit()
    _bulk(sessions, T0)
    counting.embedded.clear()
    looked_up: list[object] = []
    monkeypatch.setattr("app.semantic.cache.stored_vectors", lambda *a: looked_up.append(a))

    assert _bulk(sessions, LATER) == 0
    assert counting.embedded == []
    assert looked_up == []

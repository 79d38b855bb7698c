"""The enrichment step on a real store (SQLite and PostgreSQL) and the real model: the
similarity reaches the scorer as a fact with a readable reason, embeddings are cached per text
hash and model version, and rescoring an unchanged text embeds nothing."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app.semantic.cache import prune
from app.semantic.enrich import semantics_for, warm_up
from app.semantic.text import MAX_SENTENCES, stored_version
from app.semantic.vectors import BYTES_PER_VECTOR
from app.store.tables import TextEmbedding
from app.sync.facts import account_facts
from app.sync.rescore import rescore
from app.sync.score_rows import NO_DEALS
from connectors.hubspot.render import render_score
from tests.app.semantic.support import CountingEmbedder, semantic_rubric
from tests.app.sync.records import LATER, T0, company, score_of, store

FIT = "Family-owned chain of 45 supermarkets whose aging store software cannot keep up."
PUBLIC = "The state liquor agency runs shops and buys everything through public tenders."


@pytest.fixture
def counting(monkeypatch: pytest.MonkeyPatch) -> CountingEmbedder:
    """The counting model, the test rubric's narratives already embedded (whichever test ran
    first): what a test counts is its records' texts."""
    embedder = CountingEmbedder()
    monkeypatch.setattr("app.semantic.enrich.local_embedder", lambda: embedder)
    warm_up([semantic_rubric().rubric])
    embedder.embedded.clear()
    return embedder


def _rescore(sessions: sessionmaker[Session], *records: Any, now: Any = T0) -> None:
    with sessions() as session:
        rows = store(session, *records)
        rescore(session, rows, rubric=semantic_rubric(), render=render_score, now=now)
        session.commit()


def test_given_a_description_when_scored_then_the_reason_quotes_it_with_its_similarity(
    sessions: sessionmaker[Session], counting: CountingEmbedder
) -> None:
    _rescore(sessions, company("1", properties={"description": FIT}))

    found = score_of(sessions, "1")
    story = next(r for r in found.reasons if r.startswith("Narrative fit: "))
    assert f"'{FIT}' ~ 'Retail chains with many stores" in story
    assert found.criteria["story"] in (50, 100)
    assert found.tier != "disqualified"


def test_given_a_not_us_description_when_scored_then_it_is_disqualified_with_the_quote(
    sessions: sessionmaker[Session], counting: CountingEmbedder
) -> None:
    _rescore(sessions, company("2", properties={"description": PUBLIC}))

    found = score_of(sessions, "2")
    assert found.tier == "disqualified"
    assert found.flags == ["public_body"]
    assert any(
        r.startswith(f"Not us: '{PUBLIC}' ~ not-us 'Government agencies") for r in found.reasons
    )


def test_given_an_unchanged_text_when_rescored_then_nothing_is_embedded_again(
    sessions: sessionmaker[Session], counting: CountingEmbedder
) -> None:
    record = company("3", properties={"description": FIT, "about_us": "Since 1961."})
    _rescore(sessions, record)
    first = list(counting.embedded)
    counting.embedded.clear()

    _rescore(sessions, record, now=LATER)

    assert {FIT, "Since 1961.", f"{FIT} Since 1961."} <= set(first)
    assert counting.embedded == []
    with sessions() as session:
        rows = session.scalar(select(func.count()).select_from(TextEmbedding))
    assert rows == 2


def test_given_an_unchanged_text_when_rescored_then_no_vector_is_read_nor_compared(
    sessions: sessionmaker[Session], counting: CountingEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its digest reads the text's hash: unchanged, the record is skipped before any vector."""
    record = company("7", properties={"description": FIT})
    _rescore(sessions, record)
    looked_up: list[object] = []
    compared: list[object] = []
    monkeypatch.setattr("app.semantic.cache.stored_vectors", lambda *a: looked_up.append(a))
    monkeypatch.setattr("app.semantic.match.closest", lambda *a, **k: compared.append(a))

    with sessions() as session:
        rows = store(session, record)
        report = rescore(session, rows, rubric=semantic_rubric(), render=render_score, now=LATER)

    assert report.scored == 0
    assert looked_up == compared == []


def test_given_a_changed_text_when_rescored_then_only_the_new_text_is_embedded(
    sessions: sessionmaker[Session], counting: CountingEmbedder
) -> None:
    _rescore(sessions, company("4", properties={"description": FIT}))
    counting.embedded.clear()

    _rescore(sessions, company("4", properties={"description": PUBLIC}), now=LATER)

    assert counting.embedded == [PUBLIC]  # once for both rules; the narratives embedded before
    assert score_of(sessions, "4").tier == "disqualified"


def test_given_a_long_description_when_cached_then_its_row_stays_within_a_few_kb(
    sessions: sessionmaker[Session], counting: CountingEmbedder
) -> None:
    pasted = " ".join(
        f"Paragraph {i} of the website's about page, pasted whole." for i in range(200)
    )
    _rescore(sessions, company("5", properties={"description": pasted}))

    with sessions() as session:
        blob = session.scalar(select(TextEmbedding.vectors))
    assert blob is not None
    assert len(blob) == (1 + MAX_SENTENCES) * BYTES_PER_VECTOR <= 4096  # the whole, 7 sentences


def test_given_rows_of_an_older_model_when_pruned_then_only_the_current_model_is_kept(
    sessions: sessionmaker[Session], counting: CountingEmbedder
) -> None:
    _rescore(sessions, company("6", properties={"description": FIT}))
    with sessions() as session:
        session.add(
            TextEmbedding(
                model_version="old-model/split-0",
                text_hash="0" * 64,
                sentences=1,
                vectors=np.zeros(256, "<f2").tobytes(),
                created_at=T0,
            )
        )
        session.flush()

        deleted = prune(session)

        kept = session.scalars(select(TextEmbedding.model_version)).all()
    assert deleted == 1
    assert kept == [stored_version(counting.version)]


def test_given_a_text_embedded_now_when_read_back_from_the_cache_then_its_vectors_are_the_same(
    sessions: sessionmaker[Session], counting: CountingEmbedder
) -> None:
    record = company("7", properties={"description": f"{FIT} Founded in 1961. Around 800 staff."})
    with sessions() as session:
        rows = store(session, record)
        facts = [account_facts(rows[0], NO_DEALS)]
        fresh = semantics_for(session, semantic_rubric(), facts, T0)
        session.commit()
    with sessions() as session:
        cached = semantics_for(session, semantic_rubric(), facts, LATER)

    assert fresh.texts.keys() == cached.texts.keys()
    for digest, vectors in fresh.texts.items():
        assert np.array_equal(vectors, cached.texts[digest])  # bit for bit: no digest moves
    assert fresh.enrich(facts[0]) == cached.enrich(facts[0])

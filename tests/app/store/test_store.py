from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import delete, func, select, text
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session

from app.store.engine import make_engine, make_session_factory
from app.store.migrate import upgrade_to_head
from app.store.tables import (
    Account,
    Deal,
    DealAccount,
    Score,
    ScoreHistory,
    WebhookEvent,
    WritebackState,
)
from app.store.types import UTCDateTime

NOW = datetime(2026, 11, 23, 9, 30, 15, 123456, tzinfo=UTC)


@pytest.fixture
def session(database_url: str) -> Iterator[Session]:
    upgrade_to_head(database_url)
    engine = make_engine(database_url)
    try:
        with make_session_factory(engine)() as session:
            yield session
    finally:
        engine.dispose()


def _account(**overrides: Any) -> Account:
    fields: dict[str, Any] = {
        "source": "hubspot",
        "object_type": "company",
        "crm_id": "1001",
        "name": "Northwind Robotics",
        "domain": "northwind.example",
        "fetched_at": NOW,
    }
    return Account(**(fields | overrides))


def _event(**overrides: Any) -> WebhookEvent:
    fields: dict[str, Any] = {
        "source": "hubspot",
        "event_id": "evt-1",
        "event_type": "company.propertyChange",
        "object_type": "company",
        "object_id": "1001",
        "payload": {"propertyName": "industry"},
        "received_at": NOW,
    }
    return WebhookEvent(**(fields | overrides))


def _count(session: Session, model: type[Any]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def _reload(session: Session, model: type[Any], key: object) -> Any:
    session.expunge_all()
    return session.get(model, key)


def test_given_an_account_when_another_with_same_source_type_and_crm_id_is_added_then_refused(
    session: Session,
) -> None:
    session.add(_account())
    session.commit()

    session.add(_account(name="Duplicate"))
    with pytest.raises(IntegrityError):
        session.commit()


def test_given_an_account_when_same_crm_id_comes_from_another_source_or_type_then_accepted(
    session: Session,
) -> None:
    session.add_all(
        [
            _account(),
            _account(source="salesforce", object_type="account"),
            _account(source="salesforce", object_type="lead"),
        ]
    )
    session.commit()

    assert _count(session, Account) == 3


def test_given_new_account_when_stored_then_column_defaults_apply(session: Session) -> None:
    session.add(_account())
    session.commit()

    account = _reload(session, Account, 1)
    assert (account.archived, account.technologies, account.properties) == (False, [], {})


def test_given_rows_inserted_without_defaults_when_read_then_server_defaults_apply(
    session: Session,
) -> None:
    # Rows written by SQL outside the ORM (ops scripts, later migrations) get the same defaults.
    session.execute(
        text(
            "INSERT INTO webhook_events"
            " (source, event_id, identity, event_type, object_type, object_id, payload,"
            " received_at) VALUES ('hubspot', 'evt-raw', 'raw-1', 'company.creation', 'company',"
            " '7', '{}',"
            " '2026-11-23 09:30:00')"
        )
    )
    session.execute(
        text(
            "INSERT INTO accounts (source, object_type, crm_id, technologies, properties,"
            " fetched_at) VALUES ('file', 'company', 'f-1', '[]', '{}', '2026-11-23 09:30:00')"
        )
    )
    session.commit()

    event = session.scalars(select(WebhookEvent)).one()
    assert (event.status, event.attempts) == ("pending", 0)
    assert session.scalars(select(Account.archived)).one() is False


def test_given_aware_utc_datetime_when_round_tripped_then_same_aware_utc_value(
    session: Session,
) -> None:
    session.add(_account(crm_updated_at=NOW))
    session.commit()

    account = _reload(session, Account, 1)
    assert account.crm_updated_at == NOW
    assert account.crm_updated_at.tzinfo is UTC
    assert account.fetched_at.tzinfo is UTC


def test_given_datetime_with_offset_when_round_tripped_then_same_instant_in_utc(
    session: Session,
) -> None:
    in_paris = datetime(2026, 6, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    session.add(_account(crm_updated_at=in_paris))
    session.commit()

    stored = _reload(session, Account, 1).crm_updated_at
    assert stored == in_paris
    assert (stored.tzinfo, stored.hour) == (UTC, 12)


def test_given_datetimes_in_mixed_offsets_when_filtered_by_an_instant_then_compared_as_instants(
    session: Session,
) -> None:
    plus_five = timezone(timedelta(hours=5))
    session.add_all(
        [
            # 10:00 UTC written as 15:00+05:00: after the 11:00 UTC cutoff by wall clock only.
            _account(crm_id="early", crm_updated_at=datetime(2026, 1, 1, 15, tzinfo=plus_five)),
            _account(crm_id="late", crm_updated_at=datetime(2026, 1, 1, 12, tzinfo=UTC)),
        ]
    )
    session.commit()

    cutoff = datetime(2026, 1, 1, 11, tzinfo=UTC)
    newer = session.scalars(select(Account.crm_id).where(Account.crm_updated_at > cutoff)).all()
    assert newer == ["late"]


def test_given_naive_datetime_when_stored_then_refused_with_clear_error(session: Session) -> None:
    session.add(_account(crm_updated_at=datetime(2026, 1, 1, 12)))

    with pytest.raises(StatementError) as raised:
        session.flush()

    assert isinstance(raised.value.orig, ValueError)
    assert "naive datetime 2026-01-01T12:00:00 refused" in str(raised.value.orig)


def test_given_naive_datetime_when_bound_directly_then_value_error(
    session: Session,
) -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        UTCDateTime().process_bind_param(datetime(2026, 1, 1), session.get_bind().dialect)


def test_given_nested_unicode_json_when_round_tripped_then_equal(session: Session) -> None:
    properties = {
        "name": "Société Générale Ünïcode 東京 🚀",
        "nested": {"list": [1, 2.5, None, True, "ü"], "empty": {}, "deeper": [{"a": ["b"]}]},
        "hs_num": "42",
    }
    session.add(_account(technologies=["Salesforce", "Zoë", "数据"], properties=properties))
    session.commit()

    account = _reload(session, Account, 1)
    assert account.properties == properties
    assert account.technologies == ["Salesforce", "Zoë", "数据"]


def test_given_money_amount_when_round_tripped_then_exact_decimal(session: Session) -> None:
    session.add(_account(annual_revenue=Decimal("1234567.89")))
    session.commit()

    assert _reload(session, Account, 1).annual_revenue == Decimal("1234567.89")


def test_given_scored_account_when_deleted_then_its_scores_history_and_writeback_go_too(
    session: Session,
) -> None:
    keep, drop = _account(crm_id="keep"), _account(crm_id="drop")
    session.add_all([keep, drop])
    session.flush()
    for account in (keep, drop):
        session.add_all(
            [
                Score(
                    account_id=account.id,
                    score=72,
                    tier="tier_1",
                    disqualified=False,
                    flags=[],
                    reasons=["Industry: Computer Software (exact) +25"],
                    criteria={"industry": 100},
                    rubric_version="2026.1",
                    input_hash="0" * 64,
                    scored_at=NOW,
                ),
                ScoreHistory(
                    account_id=account.id,
                    score=72,
                    tier="tier_1",
                    disqualified=False,
                    rubric_version="2026.1",
                    scored_at=NOW,
                ),
                WritebackState(
                    account_id=account.id,
                    values={"icp_fit_score": 72},
                    values_hash="1" * 64,
                    status="written",
                    updated_at=NOW,
                ),
            ]
        )
    session.commit()

    session.execute(delete(Account).where(Account.crm_id == "drop"))
    session.commit()

    for model in (Score, ScoreHistory, WritebackState):
        owners = session.scalars(select(model.account_id)).all()
        assert owners == [keep.id], model.__tablename__


def test_given_deal_with_account_links_when_deleted_then_links_go_too(session: Session) -> None:
    deal = Deal(source="hubspot", crm_id="d-1", name="Expansion", fetched_at=NOW)
    session.add(deal)
    session.flush()
    session.add_all(
        [DealAccount(deal_id=deal.id, account_crm_id=crm_id) for crm_id in ("1001", "1002")]
    )
    session.commit()

    session.execute(delete(Deal))
    session.commit()

    assert _count(session, DealAccount) == 0


def test_given_score_for_missing_account_when_stored_then_foreign_key_refuses(
    session: Session,
) -> None:
    session.add(
        WritebackState(account_id=999, values={}, values_hash="x", status="pending", updated_at=NOW)
    )

    with pytest.raises(IntegrityError):
        session.commit()


def test_given_webhook_event_when_the_same_event_arrives_again_then_refused(
    session: Session,
) -> None:
    session.add(_event())
    session.commit()

    session.add(_event(payload={"propertyName": "industry", "attemptNumber": 1}))
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()

    assert session.scalars(select(WebhookEvent.payload)).all() == [{"propertyName": "industry"}]


def test_given_webhook_event_when_a_distinct_event_shares_its_event_id_then_accepted(
    session: Session,
) -> None:
    session.add_all([_event(), _event(payload={"propertyName": "numberofemployees"})])
    session.commit()

    assert _count(session, WebhookEvent) == 2


def test_given_webhook_event_when_same_event_id_comes_from_another_source_then_accepted(
    session: Session,
) -> None:
    session.add_all([_event(), _event(source="salesforce", object_type="account")])
    session.commit()

    assert _count(session, WebhookEvent) == 2

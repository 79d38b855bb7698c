"""The admin API (`/admin/inbox`, `/admin/inbox/replay`): disabled without a token, bearer-token
protected with one, and saying what `icp-sync inbox --json` says about rows put in the inbox by
the real enqueue / claim / fail functions, on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import socket
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.api.app import create_app
from app.inbox import queue
from app.inbox.events import IncomingEvent
from app.inbox.receive import enqueue
from app.settings import Settings
from app.store.tables import WebhookEvent

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

TOKEN = "adm-7f3c9e0b41d2a6c85e19b07d4f2a3c61"
OTHER_TOKEN = "adm-0000000000wrong"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ERROR = "AuthError: 401 token revoked"


@pytest.fixture(autouse=True)
def no_token_in_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    caplog.set_level(logging.DEBUG)
    yield
    assert TOKEN not in caplog.text
    assert OTHER_TOKEN not in caplog.text


def start(database_url: str, admin_token: str | None = TOKEN) -> TestClient:
    return TestClient(create_app(Settings(database_url=database_url, admin_token=admin_token)))


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    with start(database_url) as started:
        yield started


def event(number: int) -> IncomingEvent:
    return IncomingEvent(
        source="hubspot" if number % 2 else "salesforce",
        event_id=f"evt-{number}",
        event_type="company.creation" if number % 2 else "updated",
        object_type="company" if number % 2 else "account",
        object_id=str(1000 + number),
    )


@pytest.fixture
def inbox(sessions: sessionmaker[Session]) -> dict[str, int]:
    """Five events through the real inbox functions: two dead-lettered (claimed, failed with
    one attempt allowed), one failed and waiting for its retry, one done, one pending.
    Returns event id → row id."""
    received = datetime.now(UTC) - timedelta(minutes=5)
    with sessions() as session, session.begin():
        assert enqueue(session, [event(n) for n in range(1, 5)], received) == (4, 0, 0)
    with sessions() as session:
        claimed = {e.event_id: e for e in queue.claim(session, "test-worker", received)}
        queue.fail([claimed["evt-1"], claimed["evt-2"]], ERROR, received, max_attempts=1)
        queue.fail([claimed["evt-3"]], "NetworkError: timed out", received, max_attempts=8)
        queue.complete([claimed["evt-4"]], received)
        session.commit()
    with sessions() as session, session.begin():
        assert enqueue(session, [event(5), event(1)], received) == (1, 1, 0)
    with sessions() as session:
        return {e.event_id: e.id for e in session.scalars(select(WebhookEvent))}


def row(sessions: sessionmaker[Session], row_id: int) -> WebhookEvent:
    with sessions() as session:
        found = session.get(WebhookEvent, row_id)
        assert found is not None
        return found


def assert_unauthorized(response: Any) -> None:
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert set(response.json()) == {"detail"}
    assert TOKEN not in response.text
    assert OTHER_TOKEN not in response.text


# --- disabled without a token ---------------------------------------------------------------


@pytest.mark.parametrize("configured", [None, ""], ids=["unset", "empty"])
def test_given_no_admin_token_configured_when_admin_endpoints_called_then_404_as_if_absent(
    database_url: str, configured: str | None
) -> None:
    with start(database_url, admin_token=configured) as client:
        answers = [
            client.get("/admin/inbox", headers=AUTH),
            client.get("/admin/inbox"),
            client.post("/admin/inbox/replay", json={"all_dead": True}, headers=AUTH),
            client.post("/admin/inbox/replay", content=b"{not json", headers=AUTH),
        ]
        unknown = client.get("/admin/nothing-here")

    assert [(a.status_code, a.json()) for a in answers] == [(404, {"detail": "Not Found"})] * 4
    assert (unknown.status_code, unknown.json()) == (404, {"detail": "Not Found"})


# --- 401 without the right bearer token -----------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no_header"),
        pytest.param({"Authorization": f"Bearer {OTHER_TOKEN}"}, id="wrong_token"),
        pytest.param({"Authorization": f"Bearer {TOKEN}x"}, id="token_with_suffix"),
        pytest.param({"Authorization": f"Bearer {TOKEN[:-1]}"}, id="token_prefix"),
        pytest.param({"Authorization": f"Basic {TOKEN}"}, id="basic_scheme"),
        pytest.param({"Authorization": f"Token {TOKEN}"}, id="other_scheme"),
        pytest.param({"Authorization": "Bearer"}, id="bearer_without_token"),
        pytest.param({"Authorization": TOKEN}, id="token_without_scheme"),
        pytest.param({"X-Admin-Token": TOKEN}, id="token_in_another_header"),
        pytest.param({"Authorization": "Bearer t\u00f6ken"}, id="non_ascii_token"),
    ],
)
def test_given_no_or_wrong_bearer_token_when_inbox_read_then_401_without_echoing_it(
    client: TestClient, headers: dict[str, str]
) -> None:
    encoded = {name.encode(): value.encode("utf-8") for name, value in headers.items()}

    assert_unauthorized(client.get("/admin/inbox", headers=encoded))
    assert_unauthorized(
        client.post("/admin/inbox/replay", json={"all_dead": True}, headers=encoded)
    )


def test_given_wrong_token_and_a_bad_body_when_replaying_then_401_before_the_body_is_read(
    client: TestClient,
) -> None:
    wrong = {"Authorization": f"Bearer {OTHER_TOKEN}", "Content-Type": "application/json"}

    assert_unauthorized(client.post("/admin/inbox/replay", content=b"{not json", headers=wrong))
    assert_unauthorized(client.post("/admin/inbox/replay", json={"ids": "all"}, headers=wrong))


def test_given_wrong_token_when_refused_then_www_authenticate_says_invalid_token(
    client: TestClient,
) -> None:
    missing = client.get("/admin/inbox")
    wrong = client.get("/admin/inbox", headers={"Authorization": f"Bearer {OTHER_TOKEN}"})

    assert missing.headers["WWW-Authenticate"] == "Bearer"
    assert wrong.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    assert wrong.json() == {"detail": "invalid bearer token"}


# --- the inbox state ------------------------------------------------------------------------


def test_given_events_in_every_state_when_inbox_read_then_counts_and_dead_events_match_the_store(
    client: TestClient, inbox: dict[str, int], sessions: sessionmaker[Session]
) -> None:
    response = client.get("/admin/inbox", headers=AUTH)

    assert response.status_code == 200
    state = response.json()
    assert state["counts"] == {"pending": 2, "processing": 0, "done": 1, "dead": 2}
    assert state["status"] == "dead"
    assert state["oldest_waiting_seconds"] >= 300
    dead = {e["event_id"]: e for e in state["events"]}
    assert list(dead) == ["evt-2", "evt-1"]  # newest first
    assert dead["evt-1"] == {
        "id": inbox["evt-1"],
        "source": "hubspot",
        "event_id": "evt-1",
        "event_type": "company.creation",
        "object_type": "company",
        "object_id": "1001",
        "status": "dead",
        "attempts": 1,
        "received_at": dead["evt-1"]["received_at"],
        "processed_at": None,
        "last_error": ERROR,
    }
    assert dead["evt-2"]["source"] == "salesforce"
    assert dead["evt-2"]["last_error"] == ERROR
    received = datetime.fromisoformat(dead["evt-1"]["received_at"])
    assert received == row(sessions, inbox["evt-1"]).received_at


def test_given_status_and_limit_when_inbox_read_then_the_newest_of_that_status_are_listed(
    client: TestClient, inbox: dict[str, int]
) -> None:
    pending = client.get("/admin/inbox", params={"status": "pending"}, headers=AUTH).json()
    one_dead = client.get("/admin/inbox", params={"limit": 1}, headers=AUTH).json()

    assert [e["event_id"] for e in pending["events"]] == ["evt-5", "evt-3"]
    assert pending["events"][1]["last_error"] == "NetworkError: timed out"
    assert [e["event_id"] for e in one_dead["events"]] == ["evt-2"]


def test_given_empty_inbox_when_read_then_zero_counts_and_nothing_waiting(
    client: TestClient,
) -> None:
    response = client.get("/admin/inbox", headers=AUTH)

    assert response.json() == {
        "counts": {"pending": 0, "processing": 0, "done": 0, "dead": 0},
        "oldest_waiting_seconds": None,
        "status": "dead",
        "events": [],
    }


def test_given_unknown_status_when_inbox_read_then_422_naming_the_parameter(
    client: TestClient,
) -> None:
    response = client.get("/admin/inbox", params={"status": "gone"}, headers=AUTH)

    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["detail"]] == [["query", "status"]]


# --- replay -----------------------------------------------------------------------------------


def test_given_a_dead_event_when_replayed_by_id_then_it_is_pending_again_and_others_untouched(
    client: TestClient, inbox: dict[str, int], sessions: sessionmaker[Session]
) -> None:
    response = client.post(
        "/admin/inbox/replay",
        json={"ids": [inbox["evt-1"], inbox["evt-4"], 999_999]},
        headers=AUTH,
    )

    assert response.status_code == 200
    assert response.json() == {"requeued": 1, "not_dead": sorted([inbox["evt-4"], 999_999])}
    replayed = row(sessions, inbox["evt-1"])
    assert (replayed.status, replayed.attempts, replayed.claimed_by) == ("pending", 0, None)
    assert replayed.next_attempt_at is not None
    assert row(sessions, inbox["evt-2"]).status == "dead"
    assert row(sessions, inbox["evt-4"]).status == "done"
    counts = client.get("/admin/inbox", headers=AUTH).json()["counts"]
    assert counts == {"pending": 3, "processing": 0, "done": 1, "dead": 1}


def test_given_all_dead_when_replayed_then_every_dead_event_is_pending_again(
    client: TestClient, inbox: dict[str, int], sessions: sessionmaker[Session]
) -> None:
    response = client.post("/admin/inbox/replay", json={"all_dead": True}, headers=AUTH)

    assert response.json() == {"requeued": 2, "not_dead": []}
    assert {row(sessions, inbox[e]).status for e in ("evt-1", "evt-2")} == {"pending"}


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        pytest.param({}, "body", "exactly one of `ids` and `all_dead`", id="neither"),
        pytest.param(
            {"ids": [1], "all_dead": True}, "body", "exactly one of `ids` and `all_dead`", id="both"
        ),
        pytest.param({"ids": []}, "body.ids", "at least 1", id="empty_ids"),
        pytest.param({"ids": ["seven"]}, "body.ids.0", "integer", id="id_not_a_number"),
        pytest.param({"ids": [0]}, "body.ids.0", "greater than or equal to 1", id="id_zero"),
        pytest.param({"ids": [2**40]}, "body.ids.0", "less than or equal to", id="id_too_big"),
        pytest.param({"ids": 5}, "body.ids", "list", id="ids_not_a_list"),
        pytest.param({"ids": [True]}, "body.ids.0", "integer", id="id_true"),
        pytest.param({"ids": ["7"]}, "body.ids.0", "integer", id="id_as_text"),
        pytest.param({"ids": None}, "body.ids", "may not be null", id="ids_null"),
        pytest.param({"all_dead": 1}, "body.all_dead", "True", id="all_dead_one"),
        pytest.param({"all_dead": None}, "body.all_dead", "may not be null", id="all_dead_null"),
        pytest.param({"all_dead": False}, "body.all_dead", "True", id="all_dead_false"),
        pytest.param({"all_dead": "yes"}, "body.all_dead", "True", id="all_dead_text"),
        pytest.param({"all": True}, "body.all", "Extra inputs", id="unknown_key"),
        pytest.param([1, 2], "body", "valid dictionary", id="a_list"),
    ],
)
def test_given_a_bad_replay_body_when_posted_then_422_naming_the_field(
    client: TestClient, body: Any, field: str, message: str
) -> None:
    response = client.post("/admin/inbox/replay", json=body, headers=AUTH)

    assert response.status_code == 422
    problems = response.json()["detail"]
    assert [".".join(map(str, p["loc"])) for p in problems] == [field]
    assert message in problems[0]["msg"]


def test_given_malformed_json_when_replaying_then_422_json_invalid(client: TestClient) -> None:
    response = client.post(
        "/admin/inbox/replay",
        content=b'{"ids": [1,',
        headers={**AUTH, "Content-Type": "application/json"},
    )

    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "json_invalid"


# --- OpenAPI --------------------------------------------------------------------------------


def test_given_admin_token_when_openapi_read_then_bearer_security_declared_and_token_absent(
    client: TestClient,
) -> None:
    response = client.get("/openapi.json")
    docs = client.get("/docs")

    schema = response.json()
    assert schema["components"]["securitySchemes"]["AdminToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schema["components"]["securitySchemes"]["AdminToken"]["description"],
    }
    for path, method in (("/admin/inbox", "get"), ("/admin/inbox/replay", "post")):
        operation = schema["paths"][path][method]
        assert operation["security"] == [{"AdminToken": []}]
        assert {"401", "404", "503"} <= set(operation["responses"])
    assert "security" not in schema["paths"]["/healthz"]["get"]
    assert TOKEN not in response.text
    assert TOKEN not in docs.text


# --- database down ----------------------------------------------------------------------------


def test_given_unreachable_database_when_admin_endpoints_called_then_503_with_retry_after() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    app = create_app(
        Settings(
            database_url=f"postgresql+psycopg://icp:pw@127.0.0.1:{closed_port}/icp",
            admin_token=TOKEN,
        )
    )
    client = TestClient(app)  # not started: no migration, the database is never reached
    try:
        answers = [
            client.get("/admin/inbox", headers=AUTH),
            client.post("/admin/inbox/replay", json={"all_dead": True}, headers=AUTH),
        ]
    finally:
        app.state.resources.engine.dispose()

    for answer in answers:
        assert answer.status_code == 503
        assert answer.headers["Retry-After"] == "30"
        assert answer.json() == {"detail": "the database is unavailable, retry later"}

"""The login form over HTTP: nothing behind /ui without a login or the bearer admin token, a
session cookie that any process with the same settings accepts, and no open redirect."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from app.api.app import create_app
from app.settings import Settings
from app.ui.auth import COOKIE
from app.ui.throttle import MAX_FAILURES

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

TOKEN = "ui-7f3c9e0b41d2a6c85e19b07d4f2a3c61"
HTML = {"accept": "text/html,application/xhtml+xml"}


@pytest.fixture(autouse=True)
def no_token_in_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    caplog.set_level(logging.DEBUG)
    yield
    assert TOKEN not in caplog.text


def client(tmp_path: Path, token: str | None = TOKEN) -> TestClient:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'store.db'}",
        admin_token=SecretStr(token) if token else None,
    )
    return TestClient(create_app(settings), follow_redirects=False)


@pytest.fixture
def anonymous(tmp_path: Path) -> Iterator[TestClient]:
    with client(tmp_path) as started:
        yield started


def log_in(http: TestClient, password: str = TOKEN, next_page: str = "/ui/") -> str:
    answer = http.post("/ui/login", data={"username": "", "password": password, "next": next_page})
    assert answer.status_code == 303, answer.text
    return str(answer.headers["location"])


@pytest.mark.parametrize("path", ["/ui/", "/ui/accounts", "/ui/validation"])
def test_given_no_login_when_a_browser_asks_for_a_page_then_it_is_sent_to_the_login_form(
    anonymous: TestClient, path: str
) -> None:
    answer = anonymous.get(f"{path}?tier=a%20b", headers=HTML)

    assert answer.status_code == 303
    assert answer.headers["location"] == f"/ui/login?next={path}%3Ftier%3Da%2520b"


def test_given_no_login_when_a_script_asks_then_401_and_no_figure(anonymous: TestClient) -> None:
    answer = anonymous.get("/ui/")

    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"
    assert "Tiers" not in answer.text


def test_given_the_bearer_admin_token_when_asking_then_the_page_is_served(
    anonymous: TestClient,
) -> None:
    assert anonymous.get("/ui/", headers={"authorization": f"Bearer {TOKEN}"}).status_code == 200
    assert anonymous.get("/ui/", headers={"authorization": "Bearer wrong"}).status_code == 401


def test_given_the_token_at_the_form_when_logged_in_then_a_strict_cookie_opens_the_pages(
    anonymous: TestClient,
) -> None:
    answer = anonymous.post("/ui/login", data={"password": TOKEN, "next": "/ui/accounts?tier=x"})

    assert answer.status_code == 303
    assert answer.headers["location"] == "/ui/accounts?tier=x"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    for attribute in ("HttpOnly", "Path=/ui", "SameSite=lax", "Max-Age=43200"):
        assert attribute in cookie
    assert TOKEN not in cookie
    page = anonymous.get("/ui/", headers=HTML)
    assert page.status_code == 200
    assert "<h1>Overview</h1>" in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    assert page.headers["cache-control"] == "no-store"


def test_given_a_wrong_password_when_logging_in_then_401_the_form_again_and_no_cookie(
    anonymous: TestClient,
) -> None:
    answer = anonymous.post("/ui/login", data={"username": "alice", "password": TOKEN})

    assert answer.status_code == 401
    assert "Wrong user or password." in answer.text
    assert "set-cookie" not in answer.headers
    assert anonymous.get("/ui/", headers=HTML).status_code == 303


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/admin/inbox"])
def test_given_a_next_page_off_the_dashboard_when_logged_in_then_it_goes_home(
    anonymous: TestClient, target: str
) -> None:
    assert log_in(anonymous, next_page=target) == "/ui/"


def test_given_a_login_in_one_process_when_another_serves_the_next_page_then_it_is_accepted(
    tmp_path: Path,
) -> None:
    with client(tmp_path) as first:
        log_in(first)
        cookie = first.cookies[COOKIE]
    with client(tmp_path) as second:
        second.cookies.set(COOKIE, cookie, path="/ui")
        assert second.get("/ui/", headers=HTML).status_code == 200


def test_given_a_logged_in_viewer_when_logging_out_then_the_cookie_is_cleared(
    anonymous: TestClient,
) -> None:
    log_in(anonymous)
    answer = anonymous.post("/ui/logout")

    assert answer.status_code == 303
    assert answer.headers["location"] == "/ui/login"
    assert anonymous.get("/ui/", headers=HTML).status_code == 303


def test_given_no_token_and_no_users_when_asking_for_the_dashboard_then_it_does_not_exist(
    tmp_path: Path,
) -> None:
    with client(tmp_path, token=None) as http:
        assert http.get("/ui/", headers=HTML).status_code == 404
        assert http.get("/ui/login").status_code == 404
        assert http.post("/ui/login", data={"password": "x"}).status_code == 404


def test_given_a_login_form_when_served_then_its_assets_are_local(anonymous: TestClient) -> None:
    form = anonymous.get("/ui/login")

    assert form.status_code == 200
    assert 'href="/ui/static/ui.css"' in form.text
    assert "http" not in form.text.replace("http-equiv", "")
    assert anonymous.get("/ui/static/ui.css").status_code == 200


def test_given_many_failed_logins_when_trying_again_then_429_even_with_the_right_token(
    anonymous: TestClient,
) -> None:
    for _ in range(MAX_FAILURES):
        assert anonymous.post("/ui/login", data={"password": "guess"}).status_code == 401

    refused = anonymous.post("/ui/login", data={"password": TOKEN})

    assert refused.status_code == 429
    assert 0 < int(refused.headers["retry-after"]) <= 15 * 60 + 1
    assert "Too many failed logins" in refused.text
    assert "set-cookie" not in refused.headers

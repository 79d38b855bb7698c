"""JWT bearer against the sandbox org over HTTPS: the assertion is verified against the connected
app's certificate, its claims checked, and each refusal answered with Salesforce's body."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from crm_sandbox.pytest_plugin import SandboxFactory
from crm_sandbox.salesforce.server import RunningSalesforce
from crm_sandbox.salesforce.users import ORG_USERS
from tests.support.salesforce import rsa_private_pem
from tests.support.simple_salesforce_typed import TypedSalesforce, sandbox_session

GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


@pytest.fixture(scope="module")
def org(start_shared_crm_sandbox: SandboxFactory) -> Iterator[RunningSalesforce]:
    with start_shared_crm_sandbox.salesforce_only(seed=3, companies=5) as running:
        yield running


@pytest.fixture
def session(org: RunningSalesforce) -> Iterator[requests.Session]:
    with sandbox_session(org) as http:
        yield http


def _claims(org: RunningSalesforce, **overrides: Any) -> dict[str, Any]:
    claims = {
        "iss": org.client_id,
        "sub": org.jwt_username,
        "aud": "https://login.salesforce.com",
        "exp": int(time.time()) + 180,
    }
    return {**claims, **overrides}


def _signed(org: RunningSalesforce, claims: dict[str, Any], key: Any = None) -> str:
    pem = Path(org.jwt_private_key_path).read_bytes() if key is None else key
    return jwt.encode(claims, pem, algorithm="RS256")


def _exchange(session: requests.Session, org: RunningSalesforce, assertion: str) -> Any:
    return session.post(org.token_url, data={"grant_type": GRANT, "assertion": assertion})


def test_given_the_sandbox_key_pair_when_started_then_the_key_signs_for_the_certificate(
    org: RunningSalesforce,
) -> None:
    key = serialization.load_pem_private_key(Path(org.jwt_private_key_path).read_bytes(), None)
    certificate = Path(org.jwt_certificate_path).read_text()

    assert isinstance(key, rsa.RSAPrivateKey)
    assert certificate.startswith("-----BEGIN CERTIFICATE-----")
    assert org.jwt_username == "integration@icp-sync.sandbox"


@pytest.mark.parametrize(
    "audience", ["https://login.salesforce.com", "https://test.salesforce.com", "my-domain"]
)
def test_given_a_signed_assertion_for_the_integration_user_when_exchanged_then_a_token_for_it(
    org: RunningSalesforce, session: requests.Session, audience: str
) -> None:
    aud = org.url if audience == "my-domain" else audience

    answer = _exchange(session, org, _signed(org, _claims(org, aud=aud)))

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert org.auth.valid(body["access_token"])
    assert body["id"].endswith(f"/{ORG_USERS[0].id}")
    assert body["instance_url"] == org.url


def test_given_jwt_username_and_key_file_when_simple_salesforce_logs_in_then_it_queries(
    org: RunningSalesforce, session: requests.Session
) -> None:
    token = _exchange(session, org, _signed(org, _claims(org))).json()["access_token"]

    sf = TypedSalesforce(session_id=token, instance_url=org.url, session=session)

    assert sf.query("SELECT Id FROM Account LIMIT 1")["totalSize"] == 1


def _unsigned(claims: dict[str, Any]) -> str:
    """An `alg: none` JWT, which must never pass for a signed one."""
    parts = ({"alg": "none", "typ": "JWT"}, claims)
    encoded = [base64.urlsafe_b64encode(json.dumps(p).encode()).decode().rstrip("=") for p in parts]
    return ".".join(encoded) + "."


@pytest.mark.parametrize(
    ("case", "error", "description"),
    [
        ("signed with another key", "invalid_grant", "invalid assertion"),
        ("HS256", "invalid_grant", "invalid assertion"),
        ("not a JWT", "invalid_grant", "invalid assertion"),
        ("unsigned (alg none)", "invalid_grant", "invalid assertion"),
        ("another consumer key", "invalid_client_id", "client identifier invalid"),
        ("another app's key and consumer key", "invalid_client_id", "client identifier invalid"),
        ("another audience", "invalid_grant", "audience is invalid"),
        ("expired", "invalid_grant", "expired authorization code"),
        ("exp an hour ahead", "invalid_grant", "invalid assertion"),
        ("unknown user", "invalid_grant", "user hasn't approved this consumer"),
        ("user not approved for the app", "invalid_grant", "user hasn't approved this consumer"),
        ("inactive user", "invalid_grant", "user hasn't approved this consumer"),
    ],
)
def test_given_a_bad_assertion_when_exchanged_then_400_with_salesforces_error_body(
    org: RunningSalesforce, session: requests.Session, case: str, error: str, description: str
) -> None:
    now = int(time.time())
    cases: dict[str, Callable[[], str]] = {
        "signed with another key": lambda: _signed(org, _claims(org), rsa_private_pem()),
        "HS256": lambda: jwt.encode(_claims(org), "a-shared-secret-of-32-bytes-long!", "HS256"),
        "not a JWT": lambda: "not.a-jwt",
        "unsigned (alg none)": lambda: _unsigned(_claims(org)),
        "another consumer key": lambda: _signed(org, _claims(org, iss="3MVGsomeone-else")),
        "another app's key and consumer key": lambda: _signed(
            org, _claims(org, iss="3MVGother"), rsa_private_pem()
        ),
        "another audience": lambda: _signed(org, _claims(org, aud="https://acme.force.com")),
        "expired": lambda: _signed(org, _claims(org, exp=now - 10)),
        "exp an hour ahead": lambda: _signed(org, _claims(org, exp=now + 3600)),
        "unknown user": lambda: _signed(org, _claims(org, sub="nobody@icp-sync.sandbox")),
        "user not approved for the app": lambda: _signed(
            org, _claims(org, sub=ORG_USERS[1].username)
        ),
        "inactive user": lambda: _signed(org, _claims(org, sub=ORG_USERS[2].username)),
    }

    answer = _exchange(session, org, cases[case]())

    assert answer.status_code == 400
    assert answer.json() == {"error": error, "error_description": description}
    assert "access_token" not in answer.text

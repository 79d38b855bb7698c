"""Salesforce tokens: client credentials and JWT bearer against the HTTPS sandbox, refused
grants, expired sessions, and secrets kept out of every message."""

from __future__ import annotations

import json
import socket
from datetime import timedelta
from pathlib import Path
from typing import Any, TypedDict

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from connectors.errors import AuthError, NetworkError
from connectors.records import PropertyUpdate
from connectors.retry import RetryPolicy
from connectors.salesforce.auth import JwtBearer, choose_grant
from connectors.salesforce.connector import SalesforceConnector
from crm_sandbox.salesforce.server import RunningSalesforce
from crm_sandbox.salesforce.users import ORG_USERS
from tests.support.hubspot import RecordingSleep
from tests.support.salesforce import SalesforceFactory, a_score, records_of, rsa_private_pem


@pytest.fixture(scope="module")
def rsa_pem() -> str:
    return rsa_private_pem()


def test_given_client_credentials_when_pulling_then_one_token_request_and_calls_are_counted(
    org: RunningSalesforce, connect: SalesforceFactory
) -> None:
    connector = connect(org)

    pages = list(connector.pull_accounts(None))

    assert len(records_of(pages)) == len(org.salesforce.snapshot("Account"))
    queries = len(pages)  # one query, then one query_more per further page
    assert connector.stats.calls == 1 + 1 + 1 + queries  # token, describe, signpost, pages
    assert connector.api_usage is not None
    assert connector.api_usage.used == org.usage.used  # the token request is not counted


def test_given_jwt_bearer_with_the_orgs_key_when_syncing_then_pulls_and_writes_as_the_user(
    org: RunningSalesforce, connect: SalesforceFactory
) -> None:
    connector = connect(
        org,
        client_secret=None,
        username=org.jwt_username,
        private_key=Path(org.jwt_private_key_path).read_text(),
    )

    leads = records_of(list(connector.pull_accounts(None, "lead")))
    target = leads[0]
    outcomes = connector.write(
        [PropertyUpdate("lead", target.crm_id, connector.render_score(a_score()))]
    )

    assert "jwt_bearer" in repr(connector)
    assert [(outcome.written, outcome.error) for outcome in outcomes] == [(True, None)]
    saved = org.salesforce.get("Lead", target.crm_id)
    assert saved["ICP_Tier__c"] == "tier_1"
    assert saved["LastModifiedById"] == ORG_USERS[0].id


@pytest.mark.parametrize(
    ("username", "key", "refusal"),
    [
        ("sam.rivera@icp-sync.sandbox", "org", "invalid_grant: user hasn't approved this consumer"),
        ("nobody@acme.example", "org", "invalid_grant: user hasn't approved this consumer"),
        ("integration@icp-sync.sandbox", "other", "invalid_grant: invalid assertion"),
    ],
)
def test_given_a_jwt_the_org_refuses_when_pulling_then_auth_error_quoting_salesforce(
    org: RunningSalesforce, connect: SalesforceFactory, rsa_pem: str, username: str, key: str,
    refusal: str,
) -> None:  # fmt: skip
    pem = Path(org.jwt_private_key_path).read_text() if key == "org" else rsa_pem
    connector = connect(org, client_secret=None, username=username, private_key=pem)

    with pytest.raises(AuthError) as raised:
        list(connector.pull_accounts(None, "lead"))

    assert refusal in str(raised.value)
    assert raised.value.category == "invalid_grant"
    assert "PRIVATE KEY" not in str(raised.value)


def test_given_a_jwt_grant_when_formed_then_claims_are_iss_sub_aud_and_a_three_minute_exp(
    rsa_pem: str,
) -> None:
    grant = choose_grant(
        client_id="3MVGconsumer",
        client_secret=None,
        username="icp-sync@acme.example",
        private_key=rsa_pem,
        audience="https://test.salesforce.com",
    )
    assert isinstance(grant, JwtBearer)
    grant = JwtBearer(grant.client_id, grant.username, grant.key, grant.audience, lambda: 1_000)

    form = grant.form()

    assert form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
    private = serialization.load_pem_private_key(rsa_pem.encode(), None)
    assert isinstance(private, rsa.RSAPrivateKey)
    claims = jwt.decode(
        form["assertion"],
        private.public_key(),
        algorithms=["RS256"],
        audience="https://test.salesforce.com",
        options={"verify_exp": False},
    )
    assert claims == {
        "iss": "3MVGconsumer",
        "sub": "icp-sync@acme.example",
        "aud": "https://test.salesforce.com",
        "exp": 1_180,
    }
    assert jwt.get_unverified_header(form["assertion"])["alg"] == "RS256"


class Credentials(TypedDict, total=False):
    username: str
    private_key: str


@pytest.mark.parametrize(
    ("given", "missing"),
    [
        ({}, "client_secret (client credentials) or username and private_key"),
        ({"username": "icp@acme.example"}, "private_key"),
        ({"private_key": "-----BEGIN PRIVATE KEY-----"}, "username"),
    ],
)
def test_given_no_usable_credentials_when_constructed_then_value_error_names_what_is_missing(
    given: Credentials, missing: str
) -> None:
    with pytest.raises(ValueError, match="needs") as caught:
        SalesforceConnector("https://acme.my.salesforce.com", client_id="3MVG", **given)

    assert missing in str(caught.value)


def test_given_a_key_that_is_not_rsa_pem_when_constructed_then_value_error_without_the_key() -> (
    None
):
    not_pem = "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWtleS1tYXRlcmlhbA==\n-----END PRIVATE KEY-----"
    ec_pem = (
        ec.generate_private_key(ec.SECP256R1())
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
    for key, expected in ((not_pem, "not a readable"), (ec_pem, "must be an RSA key")):
        with pytest.raises(ValueError, match=expected) as caught:
            SalesforceConnector(
                "https://acme.my.salesforce.com", client_id="3MVG", username="u", private_key=key
            )
        assert key not in str(caught.value)


def test_given_a_wrong_secret_when_pulling_then_auth_error_with_salesforce_code_and_no_secret(
    org: RunningSalesforce, connect: SalesforceFactory
) -> None:
    secret = "wrong-secret-0123456789abcdef"
    connector = connect(org, client_secret=secret)

    with pytest.raises(AuthError) as caught:
        list(connector.pull_accounts(None))

    message = str(caught.value)
    assert "invalid_client" in message
    assert "invalid client credentials" in message
    assert secret not in message
    assert secret not in repr(connector)
    assert connector.stats.calls == 1  # refused grants are not retried
    assert connector.stats.retries == 0


def test_given_a_secret_echoed_by_the_token_endpoint_when_refused_then_it_is_redacted(
    org: RunningSalesforce, connect: SalesforceFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "echoed-secret-0123456789"

    def echoing_post(self: requests.Session, url: str, **kwargs: Any) -> requests.Response:
        response = requests.Response()
        response.status_code = 400
        response._content = json.dumps(
            {"error": "invalid_client", "error_description": f"no client with secret {secret}"}
        ).encode()
        return response

    monkeypatch.setattr(requests.Session, "post", echoing_post)
    connector = connect(org, client_secret=secret)

    with pytest.raises(AuthError) as caught:
        list(connector.pull_accounts(None))

    assert "no client with secret [redacted]" in str(caught.value)
    assert secret not in str(caught.value)


def test_given_a_session_expiring_mid_pull_when_paging_then_one_reauth_and_the_pull_continues(
    org: RunningSalesforce, connect: SalesforceFactory
) -> None:
    connector = connect(org)
    pages = connector.pull_accounts(None)
    first = next(pages)
    org.auth.expire_all()

    rest = list(pages)

    ids = [r.crm_id for r in first.records] + [r.crm_id for r in records_of(rest)]
    assert sorted(ids) == sorted(str(a["Id"]) for a in org.salesforce.snapshot("Account"))
    # token, signpost, describe, query, [expired] query_more → 401, token, query_more, …
    assert connector.stats.calls == 4 + 2 + len(rest)
    assert connector.stats.retries == 0


def test_given_sessions_refused_even_when_fresh_when_calling_then_auth_error_after_one_reauth(
    org: RunningSalesforce, connect: SalesforceFactory
) -> None:
    org.auth.token_ttl_s = 0  # every token is expired on arrival
    connector = connect(org)

    with pytest.raises(AuthError, match="freshly issued session") as caught:
        list(connector.pull_accounts(None))

    assert caught.value.status == 401
    assert connector.stats.calls == 4  # token, describe 401, token, describe 401
    assert "!AQ0" not in str(caught.value)  # no token in the message


def test_given_nothing_listening_when_connecting_then_network_error_after_the_retry_policy(
    org: RunningSalesforce, connect: SalesforceFactory
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: connections are refused
    sleep = RecordingSleep()
    connector = connect(
        org,
        instance_url=f"https://127.0.0.1:{port}",
        retry=RetryPolicy(max_attempts=3, max_elapsed=60),
        sleep=sleep,
        timeout=(2.0, 2.0),
    )

    with pytest.raises(NetworkError, match="talking to Salesforce"):
        list(connector.pull_accounts(None))

    assert connector.stats.calls == 3
    assert connector.stats.retries == 2
    assert len(sleep.waits) == 2


def test_given_secrets_when_repr_then_none_of_them_shows(
    org: RunningSalesforce, connect: SalesforceFactory, rsa_pem: str
) -> None:
    with_secret = connect(org)
    with_key = connect(org, client_secret=None, username="icp@acme.example", private_key=rsa_pem)
    list(with_secret.pull_accounts(None))

    for connector in (with_secret, with_key):
        text = repr(connector)
        assert org.client_secret not in text
        assert "PRIVATE KEY" not in text
        assert "!AQ0" not in text
        assert org.url in text


def test_given_a_connector_when_used_as_context_manager_then_closed_after(
    org: RunningSalesforce,
) -> None:
    with SalesforceConnector(
        org.url,
        client_id=org.client_id,
        client_secret=org.client_secret,
        ca_bundle=org.ca_bundle,
        overlap=timedelta(0),
    ) as connector:
        assert records_of(list(connector.pull_deals(None)))

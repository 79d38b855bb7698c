"""Starting and stopping the Salesforce sandbox, alone and alongside HubSpot in `start_sandbox`."""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from connectors.sandbox import RunningSandbox, SandboxError, start_sandbox
from connectors.sandbox.salesforce_server import start_salesforce_sandbox
from connectors.sandbox.seed import generate

AS_OF = datetime(2026, 11, 1, tzinfo=UTC)


def test_given_default_start_sandbox_when_running_then_salesforce_is_off(
    sandbox: RunningSandbox,
) -> None:
    assert sandbox.salesforce_url is None
    assert sandbox.salesforce is None
    assert sandbox.salesforce_ca_bundle is None


def test_given_salesforce_port_zero_when_start_sandbox_then_both_crms_serve_the_same_seed() -> None:
    with start_sandbox(seed=4, companies=30, as_of=AS_OF, salesforce_port=0) as running:
        assert running.salesforce is not None
        assert running.salesforce_url is not None
        assert running.salesforce_ca_bundle is not None
        assert running.salesforce_url.startswith("https://127.0.0.1:")
        names = [c.name for c in generate(4, 30, as_of=AS_OF).companies]
        accounts = running.salesforce.snapshot("Account", include_deleted=True)
        assert [a["Name"] for a in accounts] == names
        with requests.Session() as http:
            http.trust_env = False
            http.verify = running.salesforce_ca_bundle
            token = http.post(
                f"{running.salesforce_url}/services/oauth2/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": running.salesforce_client_id,
                    "client_secret": running.salesforce_client_secret,
                },
            )
            assert token.status_code == 200
            assert token.headers["Sforce-Limit-Info"].startswith("api-usage=")
            hubspot = http.get(f"{running.hubspot_url}/crm/v3/objects/companies")
            assert hubspot.status_code == 401  # HubSpot still served, still wants its token
        ca_bundle = Path(running.salesforce_ca_bundle)
        assert ca_bundle.read_text().startswith("-----BEGIN CERTIFICATE-----")
    assert not ca_bundle.exists()


def test_given_untrusted_client_when_connecting_then_tls_verification_fails() -> None:
    with start_salesforce_sandbox(companies=5, as_of=AS_OF) as org, requests.Session() as http:
        http.trust_env = False  # the system CA bundle does not know the sandbox's CA
        with pytest.raises(requests.exceptions.SSLError):
            http.post(org.token_url, data={"grant_type": "client_credentials"})
        localhost = org.url.replace("127.0.0.1", "localhost")
        http.verify = org.ca_bundle
        answer = http.post(f"{localhost}/services/oauth2/token", data={"grant_type": "x"})
        assert answer.status_code == 400
        assert answer.json()["error"] == "unsupported_grant_type"


def test_given_port_in_use_when_starting_then_sandbox_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        with pytest.raises(SandboxError, match="already in use"):
            start_salesforce_sandbox(companies=1, port=port)

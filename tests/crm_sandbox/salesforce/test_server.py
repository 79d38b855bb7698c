"""Starting and stopping the Salesforce sandbox, alone and alongside HubSpot in `start_sandbox`."""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from simple_salesforce.exceptions import SalesforceGeneralError

from crm_sandbox import RunningSandbox, SandboxError
from crm_sandbox.core.seed import generate
from crm_sandbox.pytest_plugin import SandboxFactory
from tests.support.simple_salesforce_typed import connect, error_list

AS_OF = datetime(2026, 11, 1, tzinfo=UTC)


def test_given_default_start_sandbox_when_running_then_salesforce_is_off(
    sandbox: RunningSandbox,
) -> None:
    assert sandbox.salesforce_url is None
    assert sandbox.salesforce is None
    assert sandbox.salesforce_ca_bundle is None


def test_given_salesforce_port_zero_when_start_sandbox_then_both_crms_serve_the_same_seed(
    start_crm_sandbox: SandboxFactory,
) -> None:
    with start_crm_sandbox(seed=4, companies=30, as_of=AS_OF, salesforce_port=0) as running:
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


def test_given_untrusted_client_when_connecting_then_tls_verification_fails(
    start_crm_sandbox: SandboxFactory,
) -> None:
    org = start_crm_sandbox.salesforce_only(companies=5, as_of=AS_OF)
    with requests.Session() as http:
        http.trust_env = False  # the system CA bundle does not know the sandbox's CA
        with pytest.raises(requests.exceptions.SSLError):
            http.post(org.token_url, data={"grant_type": "client_credentials"})
        localhost = org.url.replace("127.0.0.1", "localhost")
        http.verify = org.ca_bundle
        answer = http.post(f"{localhost}/services/oauth2/token", data={"grant_type": "x"})
        assert answer.status_code == 400
        assert answer.json()["error"] == "unsupported_grant_type"


def test_given_port_in_use_when_starting_then_sandbox_error(
    start_crm_sandbox: SandboxFactory,
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        with pytest.raises(SandboxError, match="already in use"):
            start_crm_sandbox.salesforce_only(companies=1, port=port)


def test_given_an_org_started_without_icp_fields_when_described_then_none_is_there(
    start_crm_sandbox: SandboxFactory,
) -> None:
    org = start_crm_sandbox.salesforce_only(companies=5, as_of=AS_OF, with_icp_fields=False)
    with requests.Session() as http:
        http.trust_env = False
        http.verify = org.ca_bundle
        names = {f["name"] for f in connect(org, http).Lead.describe()["fields"]}
        assert "Title" in names
        assert not {name for name in names if name.startswith("ICP_")}


def test_given_a_small_server_page_when_a_bigger_batch_is_asked_then_the_server_page_wins(
    start_crm_sandbox: SandboxFactory,
) -> None:
    org = start_crm_sandbox.salesforce_only(companies=30, as_of=AS_OF, page_size=10)
    with requests.Session() as http:
        http.trust_env = False
        http.verify = org.ca_bundle
        sf = connect(org, http)
        first = sf.query(
            "SELECT Id FROM Account ORDER BY SystemModstamp, Id",
            headers={"Sforce-Query-Options": "batchSize=2000"},
        )
        assert len(first["records"]) == 10
        assert first["done"] is False
        assert first["totalSize"] == len(org.salesforce.snapshot("Account"))


def test_given_injected_server_errors_when_calling_then_salesforce_error_lists_then_service_again(
    start_crm_sandbox: SandboxFactory,
) -> None:
    org = start_crm_sandbox.salesforce_only(companies=5, as_of=AS_OF)
    with requests.Session() as http:
        http.trust_env = False
        http.verify = org.ca_bundle
        sf = connect(org, http)
        used = org.usage.used
        org.faults.fail_next(1, status=503, path="/query")
        org.faults.fail_next(1, status=500)
        with pytest.raises(SalesforceGeneralError) as failed:
            sf.Account.describe()  # not a query: the 500 is its
        assert failed.value.status == 500
        assert error_list(failed.value)[0]["errorCode"] == "UNKNOWN_EXCEPTION"
        with pytest.raises(SalesforceGeneralError) as unavailable:
            sf.query("SELECT Id FROM Account")
        assert unavailable.value.status == 503
        assert error_list(unavailable.value) == [
            {"message": "Server unavailable", "errorCode": "SERVER_UNAVAILABLE"}
        ]
        assert sf.query("SELECT Id FROM Account")["totalSize"] == 5
        assert org.usage.used == used + 1  # faults are not counted
        with pytest.raises(ValueError, match="cannot inject"):
            org.faults.fail_next(status=429)


def test_given_leads_per_company_when_start_sandbox_then_the_salesforce_org_has_them(
    start_crm_sandbox: SandboxFactory,
) -> None:
    running = start_crm_sandbox(
        seed=4, companies=30, as_of=AS_OF, salesforce_port=0, leads_per_company=2.0
    )
    assert running.salesforce is not None
    assert len(running.salesforce.snapshot("Lead")) >= 55

"""The control plane over real HTTP: `/_sandbox/reset`, `/_sandbox/seed`, `/_sandbox/faults` and
`/_sandbox/writes` on the HubSpot port drive both CRMs, from this process and from another one (`icp-sync
sandbox`), and bad input is answered 422 naming the field and the value."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import requests

from crm_sandbox.hubspot.state import HubSpotState
from crm_sandbox.pytest_plugin import SandboxFactory
from crm_sandbox.salesforce.state import SalesforceState
from crm_sandbox.sandbox import RunningSandbox
from tests.support.processes import stop_process
from tests.support.simple_salesforce_typed import client_credentials

AS_OF = datetime(2026, 11, 1, tzinfo=UTC)
OBJECTS = ("Account", "Lead", "Opportunity")


@pytest.fixture
def sandbox(start_crm_sandbox: SandboxFactory) -> RunningSandbox:
    return start_crm_sandbox(
        seed=3, companies=20, as_of=AS_OF, salesforce_port=0, contacts_per_company=1.5
    )


def hubspot_companies(sandbox: RunningSandbox) -> dict[str, dict[str, str]]:
    return {i: sandbox.hubspot.company(i) for i in sandbox.hubspot.company_ids()}


def org_records(sandbox: RunningSandbox) -> dict[str, list[dict[str, Any]]]:
    assert sandbox.salesforce is not None
    return {name: sandbox.salesforce.snapshot(name, include_deleted=True) for name in OBJECTS}


def companies_over_http(url: str, token: str) -> list[dict[str, Any]]:
    answer = httpx.get(
        f"{url}/crm/v3/objects/companies",
        params={"limit": 100},
        headers={"Authorization": f"Bearer {token}"},
        trust_env=False,
    )
    assert answer.status_code == 200, answer.text
    results: list[dict[str, Any]] = answer.json()["results"]
    return results


def control(sandbox: RunningSandbox, method: str, path: str, **kwargs: Any) -> httpx.Response:
    return httpx.request(method, f"{sandbox.control_url}/{path}", trust_env=False, **kwargs)


def salesforce_query_status(sandbox: RunningSandbox) -> int:
    org = sandbox.salesforce_sandbox
    assert org is not None
    with requests.Session() as http:
        http.trust_env = False
        http.verify = org.ca_bundle
        token = client_credentials(org, http)["access_token"]
        answer = http.get(
            f"{org.url}/services/data/v59.0/query",
            params={"q": "SELECT Id FROM Account"},
            headers={"Authorization": f"Bearer {token}"},
        )
        return answer.status_code


def test_given_changes_in_both_crms_when_reset_then_both_hold_the_started_data_again(
    sandbox: RunningSandbox,
) -> None:
    assert sandbox.salesforce is not None
    hubspot_before, org_before = hubspot_companies(sandbox), org_records(sandbox)
    first = sandbox.hubspot.company_ids()[0]
    sandbox.hubspot.touch_company(first, city="Changed")
    sandbox.hubspot.archive_company(sandbox.hubspot.company_ids()[1])
    sandbox.hubspot.create_company(name="Created after the start")
    sandbox.salesforce.create("Lead", {"LastName": "New", "Company": "New Co"})
    account = str(org_before["Account"][0]["Id"])
    sandbox.salesforce.update("Account", account, {"Industry": "Changed"})

    reset = control(sandbox, "POST", "reset")

    assert reset.status_code == 200, reset.text
    assert hubspot_companies(sandbox) == hubspot_before
    assert sandbox.hubspot.company_ids(archived=True) == []
    assert org_records(sandbox) == org_before
    assert sandbox.hubspot.writes() == []
    assert reset.json()["seeding"] == {
        "seed": 3,
        "companies": 20,
        "deals_per_company": 2.0,
        "leads_per_company": 0.5,
        "contacts_per_company": 1.5,
        "as_of": AS_OF.isoformat(),
    }
    assert reset.json()["counts"]["hubspot"]["companies"] == 20
    assert reset.json()["counts"]["salesforce"]["Account"] == len(org_before["Account"])
    assert len(companies_over_http(sandbox.hubspot_url, sandbox.hubspot_token)) == 20


def test_given_a_seed_body_when_reseeded_then_both_crms_hold_that_seeds_data_and_reset_undoes_it(
    sandbox: RunningSandbox,
) -> None:
    started = hubspot_companies(sandbox)
    body = {"seed": 9, "companies": 12, "deals_per_company": 1.0, "leads_per_company": 1.0,
            "contacts_per_company": 3.0}  # fmt: skip

    seeded = control(sandbox, "POST", "seed", json=body)

    assert seeded.status_code == 200, seeded.text
    expected_hubspot = HubSpotState.seeded(9, 12, 1.0, as_of=AS_OF, contacts_per_company=3.0)
    assert hubspot_companies(sandbox) == {
        i: expected_hubspot.company(i) for i in expected_hubspot.company_ids()
    }
    assert sandbox.hubspot.contact_ids() == expected_hubspot.contact_ids()
    assert [sandbox.hubspot.contact(i) for i in sandbox.hubspot.contact_ids()] == [
        expected_hubspot.contact(i) for i in expected_hubspot.contact_ids()
    ]
    assert seeded.json()["counts"]["hubspot"]["contacts"] == expected_hubspot.count("contacts")
    expected_org = SalesforceState.seeded(9, 12, 1.0, as_of=AS_OF, leads_per_company=1.0)
    assert org_records(sandbox) == {
        name: expected_org.snapshot(name, include_deleted=True) for name in OBJECTS
    }
    assert len(companies_over_http(sandbox.hubspot_url, sandbox.hubspot_token)) == 12
    assert seeded.json()["seeding"]["seed"] == 9
    assert sandbox.seed == 9  # new inbound leads follow the new seed too

    assert control(sandbox, "POST", "reset").status_code == 200
    assert hubspot_companies(sandbox) == started


def test_given_a_partial_seed_body_then_the_rest_keeps_the_started_values(
    sandbox: RunningSandbox,
) -> None:
    seeded = control(sandbox, "POST", "seed", json={"companies": 5})

    assert seeded.status_code == 200, seeded.text
    assert seeded.json()["seeding"]["seed"] == 3
    assert seeded.json()["seeding"]["deals_per_company"] == 2.0
    assert sandbox.hubspot.count("companies") == 5


def test_given_a_fault_plan_when_set_over_http_then_both_crms_fault_and_it_is_counted_until_cleared(
    sandbox: RunningSandbox,
) -> None:
    plan = {"rate": 1.0, "kinds": ["server_error"], "seed": 3}

    set_plan = control(sandbox, "POST", "faults", json={"plan": plan})
    hubspot_status = httpx.get(
        f"{sandbox.hubspot_url}/crm/v3/objects/companies",
        headers={"Authorization": f"Bearer {sandbox.hubspot_token}"},
        trust_env=False,
    ).status_code
    salesforce_status = salesforce_query_status(sandbox)
    read = control(sandbox, "GET", "faults")

    assert set_plan.status_code == 200, set_plan.text
    assert set_plan.json()["plan"]["rate"] == 1.0
    assert set_plan.json()["plan"]["kinds"] == ["server_error"]
    assert hubspot_status >= 500
    assert salesforce_status >= 500
    assert read.status_code == 200  # the control plane itself is never faulted
    assert read.json()["plan"] == set_plan.json()["plan"]
    assert read.json()["injected"] == {
        "hubspot": {"server_error": 1},
        "salesforce": {"server_error": 1},
    }

    cleared = control(sandbox, "POST", "faults", json={"plan": None})

    assert cleared.status_code == 200
    assert cleared.json()["plan"] is None
    assert sandbox.faults_injected() == read.json()["injected"]  # the counts stay
    assert salesforce_query_status(sandbox) == 200
    assert len(companies_over_http(sandbox.hubspot_url, sandbox.hubspot_token)) == 20


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("seed", {"companies": -1}, "companies: -1 is not within 0-100000"),
        ("seed", {"seed": "7"}, 'seed: expected an integer, got "7"'),
        ("seed", {"deals_per_company": 51}, "deals_per_company: 51 is not within 0.0-50.0"),
        ("seed", {"colour": "red"}, "body.colour: unknown field"),
        ("seed", [7], "body: expected a JSON object, got [7]"),
        ("seed", b"{not json", "body: not JSON"),
        ("faults", {"rate": 0.1}, 'body: expected {"plan": {...}} or {"plan": null}'),
        ("faults", {"plan": {"kinds": ["dropped"]}}, "plan.rate: required"),
        ("faults", {"plan": {"rate": 2}}, "plan.rate: 2 is not within 0.0-1.0"),
        ("faults", {"plan": {"rate": 0.1, "kinds": ["meteor"]}}, 'plan.kinds: "meteor" is not one of'),
        ("faults", {"plan": {"rate": 0.1, "latency_s": [0.5, 0.1]}}, "plan.latency_s: low 0.5 is above high 0.1"),
        ("faults", {"plan": {"rate": 0.1, "burst": [0, 2]}}, "plan.burst[0]: 0 is less than 1"),
        ("faults", {"plan": {"rate": 0.1, "hang": 3}}, "plan.hang: unknown field"),
    ],
)  # fmt: skip
def test_given_bad_input_then_422_names_the_field_and_value_and_nothing_changes(
    sandbox: RunningSandbox, path: str, body: object, message: str
) -> None:
    before = hubspot_companies(sandbox)
    content = body if isinstance(body, bytes) else None
    payload = None if isinstance(body, bytes) else body

    answer = control(sandbox, "POST", path, json=payload, content=content)

    assert answer.status_code == 422, answer.text
    assert message in answer.json()["error"]
    assert hubspot_companies(sandbox) == before
    assert sandbox.hubspot_faults.plan is None


def test_given_scopes_set_over_http_when_calling_hubspot_then_a_call_outside_them_is_refused(
    sandbox: RunningSandbox,
) -> None:
    url = f"{sandbox.control_url}/scopes"
    bearer = {"Authorization": f"Bearer {sandbox.hubspot_token}"}
    companies = f"{sandbox.hubspot_url}/crm/v3/objects/companies?limit=1"

    narrowed = httpx.post(url, json={"scopes": ["crm.objects.deals.read"]})
    refused = httpx.get(companies, headers=bearer)
    bad = httpx.post(url, json={"scopes": "crm.objects.deals.read"})
    restored = httpx.post(url, json={"scopes": None})
    allowed = httpx.get(companies, headers=bearer)

    assert narrowed.json() == {"scopes": ["crm.objects.deals.read"]}
    assert refused.status_code == 403
    assert refused.json()["category"] == "MISSING_SCOPES"
    assert bad.status_code == 422
    assert "scopes" in bad.json()["error"]
    assert "crm.objects.companies.write" in restored.json()["scopes"]
    assert allowed.status_code == 200


def test_given_companies_updated_over_http_when_writes_are_read_then_updates_per_id_until_reset(
    sandbox: RunningSandbox,
) -> None:
    first, second = sandbox.hubspot.company_ids()[:2]
    for company_id, city in ((first, "One"), (first, "Two"), (second, "Three")):
        answer = httpx.patch(
            f"{sandbox.hubspot_url}/crm/v3/objects/companies/{company_id}",
            json={"properties": {"city": city}},
            headers={"Authorization": f"Bearer {sandbox.hubspot_token}"},
            trust_env=False,
        )
        assert answer.status_code == 200, answer.text
    sandbox.hubspot.create_company(name="Created, not updated")

    counted = control(sandbox, "GET", "writes")
    control(sandbox, "POST", "reset")
    after_reset = control(sandbox, "GET", "writes")

    assert counted.status_code == 200
    assert counted.json() == {first: 2, second: 1}
    assert after_reset.json() == {}


def test_given_an_unknown_control_path_or_method_then_404_and_405(sandbox: RunningSandbox) -> None:
    assert control(sandbox, "GET", "nothing-here").status_code == 404
    assert control(sandbox, "GET", "reset").status_code == 405


def test_given_the_sandbox_command_in_another_process_when_reseeded_over_http_then_it_serves_it() -> (
    None
):
    process = subprocess.Popen(
        [sys.executable, "-c", "from app.cli.main import run; run()", "sandbox",
         "--hubspot-port", "0", "--salesforce-port", "0", "--companies", "8"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        settings = dict(process.stdout.readline().strip().split("=", 1) for _ in range(8))
        url, token = settings["ICP_SYNC_HUBSPOT_BASE_URL"], settings["ICP_SYNC_HUBSPOT_TOKEN"]
        before = companies_over_http(url, token)

        seeded = httpx.post(f"{url}/_sandbox/seed", json={"companies": 3}, trust_env=False)
        after = companies_over_http(url, token)
        faulted = httpx.post(
            f"{url}/_sandbox/faults",
            json={"plan": {"rate": 1.0, "kinds": ["server_error"]}},
            trust_env=False,
        )
        refused = httpx.get(
            f"{url}/crm/v3/objects/companies",
            headers={"Authorization": f"Bearer {token}"},
            trust_env=False,
        )
    finally:
        _, err = stop_process(process)

    assert process.returncode == 0, err
    assert len(before) == 8
    assert seeded.status_code == 200, seeded.text
    assert seeded.json()["counts"]["hubspot"]["companies"] == 3
    assert len(after) == 3
    assert faulted.status_code == 200, faulted.text
    assert refused.status_code >= 500
    assert f"{url}/_sandbox" in err  # the command tells where its control URL is

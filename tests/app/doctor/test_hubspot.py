"""`icp-sync doctor`'s HubSpot checks against the HubSpot sandbox: each misconfiguration made
real through HubSpot's API (or the sandbox's limiter), then reported with its fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import hubspot
import pytest

from app.crm import hubspot_connector
from app.doctor.hubspot import CHECKS, hubspot_checks, scopes_check
from app.rubric import Rubric, load_rubric, parse_rubric
from app.settings import Settings, settings_from
from connectors.hubspot.scopes import REQUIRED_SCOPES, SETUP_ONLY
from crm_sandbox.pytest_plugin import SandboxFactory
from crm_sandbox.sandbox import RunningSandbox
from tests.support.doctor import by_name, default_rubric_with, spend_hubspot_calls


@pytest.fixture
def sandbox(start_crm_sandbox: SandboxFactory) -> RunningSandbox:
    return start_crm_sandbox(seed=4, companies=3)


@pytest.fixture
def rubric() -> Rubric:
    return load_rubric()


def settings_of(sandbox: RunningSandbox, **fields: Any) -> Settings:
    return settings_from(sandbox.service_env(), **fields)


def set_up(sandbox: RunningSandbox, rubric: Rubric) -> None:
    with hubspot_connector(sandbox.hubspot_url, sandbox.hubspot_token, rubric) as connector:
        connector.ensure_schema()


def properties_api(sandbox: RunningSandbox) -> Any:
    client = hubspot.Client.create(access_token=sandbox.hubspot_token, host=sandbox.hubspot_url)
    return client.crm.properties.core_api


def test_given_setup_done_then_every_hubspot_check_passes_but_what_only_a_person_can_check(
    sandbox: RunningSandbox, rubric: Rubric
) -> None:
    set_up(sandbox, rubric)

    checks = by_name(hubspot_checks(settings_of(sandbox), rubric))

    assert list(checks) == list(CHECKS)
    assert {name: c.status for name, c in checks.items() if c.status != "ok"} == {
        "webhook_subscriptions": "skip"
    }
    assert (
        checks["rubric_fields"].detail
        == "the rubric's icp_buying_signals, notes_last_updated exist"
    )
    assert checks["webhook_subscriptions"].status == "skip"
    assert "contact.creation" in str(checks["webhook_subscriptions"].fix)


def test_given_a_token_hubspot_refuses_then_credentials_fail_with_its_reason_and_no_token(
    sandbox: RunningSandbox, rubric: Rubric
) -> None:
    wrong = "pat-na1-00000000-dead-beef-0000-000000000000"

    checks = hubspot_checks(settings_of(sandbox, hubspot_token=wrong), rubric)

    credentials = checks[0]
    assert (credentials.name, credentials.status) == ("credentials", "fail")
    assert "401" in credentials.detail
    assert "INVALID_AUTHENTICATION" in credentials.detail
    assert "ICP_SYNC_HUBSPOT_TOKEN" in str(credentials.fix)
    assert {c.status for c in checks[1:5]} == {"skip"}
    assert not any(wrong in c.detail or wrong in str(c.fix) for c in checks)


def test_given_no_token_then_credentials_fail_saying_which_setting_to_set(
    sandbox: RunningSandbox, rubric: Rubric
) -> None:
    for token in (None, ""):
        checks = by_name(hubspot_checks(settings_of(sandbox, hubspot_token=token), rubric))

        assert checks["credentials"].status == "fail"
        assert checks["credentials"].detail == "ICP_SYNC_HUBSPOT_TOKEN is not set (or empty)"
        assert "private app" in str(checks["credentials"].fix)


def test_given_an_unreachable_hubspot_then_credentials_fail_pointing_at_the_base_url(
    sandbox: RunningSandbox, rubric: Rubric
) -> None:
    checks = hubspot_checks(settings_of(sandbox, hubspot_base_url="http://127.0.0.1:9"), rubric)

    assert checks[0].status == "fail"
    assert "talking to HubSpot" in checks[0].detail
    assert "ICP_SYNC_HUBSPOT_BASE_URL" in str(checks[0].fix)


def test_given_no_icp_properties_yet_then_each_is_named_missing_and_setup_is_the_fix(
    sandbox: RunningSandbox, rubric: Rubric
) -> None:
    check = by_name(hubspot_checks(settings_of(sandbox), rubric))["icp_properties"]

    assert check.status == "fail"
    assert check.detail.startswith("missing: icp_fit_score, icp_tier, icp_disqualified")
    assert str(check.fix).startswith("run `icp-sync setup hubspot`")


def test_given_the_company_properties_but_not_the_contact_ones_then_the_contacts_check_fails(
    sandbox: RunningSandbox, rubric: Rubric
) -> None:
    set_up(sandbox, rubric)
    properties_api(sandbox).archive("contacts", "icp_tier", _preload_content=False)

    checks = by_name(hubspot_checks(settings_of(sandbox), rubric))

    assert checks["icp_properties"].status == "ok"
    assert checks["contact_icp_properties"].status == "fail"
    assert checks["contact_icp_properties"].detail == "on contacts: missing: icp_tier"
    assert str(checks["contact_icp_properties"].fix).startswith("run `icp-sync setup hubspot`")


def test_given_contacts_not_scored_then_their_write_scopes_and_properties_are_not_asked_for(
    start_crm_sandbox: SandboxFactory, rubric: Rubric
) -> None:
    reads = ["crm.objects.companies.read", "crm.objects.companies.write",
             "crm.objects.deals.read", "crm.objects.contacts.read",
             "crm.schemas.companies.write"]  # fmt: skip
    sandbox = start_crm_sandbox(seed=4, companies=3, hubspot_scopes=reads)

    checks = by_name(hubspot_checks(settings_of(sandbox, hubspot_contacts=False), rubric))

    assert (checks["scopes"].status, checks["scopes"].detail) == (
        "ok",
        "the token has the 5 scopes needed",
    )
    assert checks["contact_icp_properties"].status == "skip"


def test_given_setup_ran_then_the_contact_properties_pass(
    sandbox: RunningSandbox, rubric: Rubric
) -> None:
    set_up(sandbox, rubric)

    check = by_name(hubspot_checks(settings_of(sandbox), rubric))["contact_icp_properties"]

    assert (check.status, check.detail) == ("ok", "on contacts: all 7 exist with their options")


def test_given_a_property_made_with_the_wrong_type_then_its_type_and_the_expected_one_are_named(
    sandbox: RunningSandbox, rubric: Rubric
) -> None:
    set_up(sandbox, rubric)
    properties_api(sandbox).update(
        "companies",
        "icp_fit_score",
        property_update={"type": "string", "fieldType": "text"},
        _preload_content=False,
    )

    check = by_name(hubspot_checks(settings_of(sandbox), rubric))["icp_properties"]

    assert check.status == "fail"
    assert check.detail == "icp_fit_score is string/text, expected number/number"
    assert "setup hubspot" in str(check.fix)


def test_given_a_tier_missing_from_the_tier_options_then_the_tier_is_named(
    sandbox: RunningSandbox, rubric: Rubric, tmp_path: Path
) -> None:
    set_up(sandbox, rubric)
    more_tiers = rubric.model_dump() | {
        "tiers": [
            {"name": "tier_1", "label": "Tier 1", "min_score": 70},
            {"name": "tier_2", "label": "Tier 2", "min_score": 50},
            {"name": "tier_3", "label": "Tier 3", "min_score": 30},
            {"name": "tier_4", "label": "Tier 4", "min_score": 0},
        ]
    }

    check = by_name(hubspot_checks(settings_of(sandbox), parse_rubric(more_tiers)))[
        "icp_properties"
    ]

    assert check.status == "fail"
    assert check.detail == "icp_tier lacks option(s) tier_4"


def test_given_a_typo_in_the_rubrics_fields_then_the_property_is_named_with_the_closest_one(
    sandbox: RunningSandbox, rubric: Rubric, tmp_path: Path
) -> None:
    set_up(sandbox, rubric)
    typo = default_rubric_with(
        tmp_path, "hubspot: icp_buying_signals", "hubspot: icp_buying_signal"
    )

    check = by_name(hubspot_checks(settings_of(sandbox), typo))["rubric_fields"]

    assert check.status == "fail"
    assert check.detail.startswith(
        "the rubric reads icp_buying_signal (did you mean icp_buying_signals?): not a HubSpot "
        "company property, so every record would score it as missing"
    )
    assert "`fields:` → hubspot" in str(check.fix)


def test_given_a_private_app_lacking_write_scopes_then_scopes_fail_naming_each_and_why(
    start_crm_sandbox: SandboxFactory, rubric: Rubric
) -> None:
    sandbox = start_crm_sandbox(
        seed=4,
        companies=3,
        hubspot_scopes=["crm.objects.companies.read", "crm.objects.contacts.read"],
    )

    checks = by_name(hubspot_checks(settings_of(sandbox), rubric))

    assert checks["credentials"].status == "ok"
    assert checks["scopes"].status == "fail"
    assert checks["scopes"].detail == (
        "the token lacks crm.objects.companies.write (write the scores back); "
        "crm.objects.deals.read (pull deals and their companies); "
        "crm.objects.contacts.write (write the scores onto contacts); "
        "crm.schemas.companies.write (create and update the ICP properties (setup)); "
        "crm.schemas.contacts.write (create and update the contacts' ICP properties (setup))"
    )
    assert str(checks["scopes"].fix).startswith(
        "add crm.objects.companies.write, crm.objects.deals.read, crm.objects.contacts.write, "
        "crm.schemas.companies.write, crm.schemas.contacts.write in "
        "HubSpot → Settings → Integrations → Private Apps → your app → Scopes"
    )
    assert checks["icp_properties"].status == "fail"  # read with the companies read scope


def test_given_a_private_app_that_cannot_read_companies_then_what_needs_them_is_skipped(
    start_crm_sandbox: SandboxFactory, rubric: Rubric
) -> None:
    sandbox = start_crm_sandbox(seed=4, companies=3, hubspot_scopes=["crm.objects.deals.read"])

    checks = by_name(hubspot_checks(settings_of(sandbox), rubric))

    assert checks["credentials"].status == "ok"
    assert checks["scopes"].status == "fail"
    assert "crm.objects.companies.read" in checks["scopes"].detail
    assert checks["icp_properties"].status == "skip"
    assert "MISSING_SCOPES" in checks["icp_properties"].detail


def test_given_the_default_private_app_then_scopes_pass(
    sandbox: RunningSandbox, rubric: Rubric
) -> None:
    check = by_name(hubspot_checks(settings_of(sandbox), rubric))["scopes"]

    assert (check.status, check.detail) == ("ok", "the token has the 7 scopes needed")


def test_given_no_token_info_endpoint_then_scopes_warn_and_list_what_to_check_by_hand() -> None:
    """A server without `access-token-info` (404 → None): a warning, never a crash."""
    check = scopes_check(None, None)

    assert check.status == "warn"
    assert check.detail == (
        "cannot list the token's scopes: HubSpot has no token-info endpoint here (404)"
    )
    assert "crm.schemas.companies.write" in str(check.fix)


def test_given_under_a_tenth_of_the_daily_calls_left_then_api_calls_warn(
    sandbox: RunningSandbox, rubric: Rubric
) -> None:
    spend_hubspot_calls(sandbox, daily=1_000, spent=950)

    check = by_name(hubspot_checks(settings_of(sandbox), rubric))["api_calls_today"]

    assert check.status == "warn"
    assert check.detail.endswith("of 1,000 API calls left today")
    assert int(check.detail.split()[0]) < 50


def test_given_the_daily_limit_spent_then_api_calls_fail_and_nothing_crashes(
    sandbox: RunningSandbox, rubric: Rubric
) -> None:
    spend_hubspot_calls(sandbox, daily=100, spent=100)

    checks = by_name(hubspot_checks(settings_of(sandbox), rubric))

    assert checks["api_calls_today"].status == "fail"
    assert "daily limit" in checks["api_calls_today"].detail
    assert "midnight" in str(checks["api_calls_today"].fix)
    assert checks["credentials"].status == "ok"  # token info does not count against limits
    assert checks["icp_properties"].status == "skip"


def test_given_no_app_secret_then_webhook_secret_warns_that_webhooks_are_refused(
    sandbox: RunningSandbox, rubric: Rubric
) -> None:
    check = by_name(hubspot_checks(settings_of(sandbox, hubspot_app_secret=None), rubric))[
        "webhook_secret"
    ]

    assert check.status == "warn"
    assert "every HubSpot webhook is refused" in check.detail
    assert "client secret" in str(check.fix)


def test_given_token_info_without_a_required_scope_then_scopes_fail_naming_it_and_why() -> None:
    info = {"hubId": 1, "appId": 2, "userId": 3, "scopes": ["crm.objects.companies.read"]}

    check = scopes_check(info, None)

    assert check.status == "fail"
    assert "crm.objects.companies.write (write the scores back)" in check.detail
    assert str(check.fix).startswith("add crm.objects.companies.write, crm.objects.deals.read")


def test_given_token_info_lacking_only_the_setup_scope_then_scopes_warn() -> None:
    granted = [scope for scope in REQUIRED_SCOPES if scope not in SETUP_ONLY]

    check = scopes_check({"scopes": granted}, None)

    assert check.status == "warn"
    assert check.detail.startswith("the token lacks crm.schemas.companies.write")

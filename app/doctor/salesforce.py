"""`icp-sync doctor` against Salesforce: the token, the user's rights, the ICP fields and their
field-level security, the fields the rubric reads, the lead assignment rule, API calls left
today, and the Outbound Message settings.

Calls, all reads: the token request, `limits/`, describe of Account and Lead, one Tooling
query of each object's custom fields, and one SOQL query of the active lead assignment rule
(salesforce.md §5, §6, §9).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from app.crm import make_connector, rubric_properties
from app.doctor.model import Check, daily_calls_check, skipped
from app.doctor.salesforce_fields import (
    Fields,
    fls_check,
    icp_fields_check,
    object_permissions_check,
    rubric_fields_check,
)
from app.errors import IcpSyncError
from app.rubric import Rubric, load_rubric
from app.settings import Settings
from connectors.errors import AuthError, ConnectorError, NetworkError, QuotaExhaustedError
from connectors.salesforce.client import SalesforceClient
from connectors.salesforce.connector import SalesforceConnector
from connectors.salesforce.describe import fields_by_name
from connectors.salesforce.field_access import FieldAccess, field_access
from connectors.salesforce.schema import OBJECTS, WRITEBACK_FIELDS, writeback_fields

SOURCE = "salesforce"
CHECKS = (
    "credentials",
    "api_calls_today",
    "permissions",
    "icp_fields",
    "field_level_security",
    "rubric_fields",
    "lead_assignment_rule",
)
RESET = "the org's rolling 24-hour count allows calls again"
ASSIGNMENT_RULE_SOQL = (
    "SELECT Id, Name, Active FROM AssignmentRule WHERE SobjectType = 'Lead' AND Active = true"
)
ORG_ID = re.compile(r"00D[0-9A-Za-z]{12}(?:[0-9A-Za-z]{3})?")
APP_MANAGER = "Setup → App Manager → the connected app → Manage"


def salesforce_checks(settings: Settings, rubric: Rubric | None) -> list[Check]:
    try:
        connector = make_connector(SOURCE, settings, rubric or load_rubric())
    except (IcpSyncError, ValueError) as error:
        return [
            Check("credentials", SOURCE, "fail", str(error), "set the settings named"),
            *skipped(SOURCE, CHECKS[1:], "no credentials"),
            *webhook_checks(settings),
        ]
    if not isinstance(connector, SalesforceConnector):  # make_connector's contract
        raise TypeError(f"expected a SalesforceConnector, got {type(connector).__name__}")
    try:
        return [*_org_checks(connector.client, settings, rubric), *webhook_checks(settings)]
    finally:
        connector.close()


def _org_checks(client: SalesforceClient, settings: Settings, rubric: Rubric | None) -> list[Check]:
    credentials = credentials_check(client, settings)
    if credentials.status == "fail":
        return [credentials, *skipped(SOURCE, CHECKS[1:], "credentials failed")]
    try:
        daily = daily_check(client.rest("limits", "limits/"))
    except QuotaExhaustedError as error:
        usage = client.api_usage
        spent = (
            daily_calls_check(SOURCE, usage.limit - usage.used, usage.limit, RESET)
            if usage is not None
            else Check("api_calls_today", SOURCE, "fail", str(error), f"wait until {RESET}")
        )
        return [credentials, spent, *skipped(SOURCE, CHECKS[2:], "no API calls left today")]
    except ConnectorError as error:
        daily = Check("api_calls_today", SOURCE, "warn", f"cannot read limits/: {error}")
    checks = [credentials, daily]
    described: dict[str, Mapping[str, Any]] = {}
    for object_name in OBJECTS:
        try:
            described[object_name] = client.describe(object_name)
        except ConnectorError as error:
            fix = f"give the integration user Read and Edit on {object_name} (permission set)"
            checks.append(Check("permissions", SOURCE, "fail", str(error), fix))
            return [*checks, *skipped(SOURCE, CHECKS[3:6], f"cannot describe {object_name}")]
    fields = {name: fields_by_name(answer) for name, answer in described.items()}
    wanted = rubric_properties(rubric, SOURCE) if rubric is not None else []
    access = access_of(
        client, fields, [*WRITEBACK_FIELDS, *(n for n in wanted if n.endswith("__c"))]
    )
    hidden: dict[str, list[str]] = {}
    for item in access if not isinstance(access, str) else []:
        if item.state == "hidden":
            hidden.setdefault(item.object_name, []).append(item.name)
    checks.append(object_permissions_check(described))
    if rubric is None:
        checks += skipped(SOURCE, ("icp_fields",), "the rubric is invalid")
    else:
        specs = writeback_fields(
            [t.name for t in rubric.tiers], [d.id for d in rubric.disqualifiers]
        )
        checks.append(icp_fields_check(specs, fields, hidden))
    checks.append(fls_check(access))
    if rubric is None:
        checks += skipped(SOURCE, ("rubric_fields",), "the rubric is invalid")
    else:
        checks.append(rubric_fields_check(wanted, fields, hidden))
    checks.append(assignment_rule_check(client, settings))
    return checks


def credentials_check(client: SalesforceClient, settings: Settings) -> Check:
    """A token request succeeds; on a refusal, Salesforce's code and description with the
    setting or connected-app policy that usually causes it."""
    flow = "client credentials" if settings.salesforce_client_secret else "JWT bearer"
    try:
        client.connect()
    except ConnectorError as error:
        return Check("credentials", SOURCE, "fail", str(error), _credentials_fix(error, flow))
    return Check("credentials", SOURCE, "ok", f"Salesforce issued a token ({flow} flow)")


def _credentials_fix(error: ConnectorError, flow: str) -> str:
    if isinstance(error, NetworkError) or not isinstance(error, AuthError):
        return (
            "check ICP_SYNC_SALESFORCE_INSTANCE_URL (your My Domain URL, "
            "https://<domain>.my.salesforce.com), ICP_SYNC_SALESFORCE_CA_BUNDLE and the network"
        )
    if error.category in ("invalid_client", "invalid_client_id"):
        return (
            "ICP_SYNC_SALESFORCE_CLIENT_ID (and _CLIENT_SECRET) must be the connected app's "
            f"consumer key and secret: {APP_MANAGER} → View → Manage Consumer Details"
        )
    if flow == "client credentials":
        return (
            f"{APP_MANAGER} → Edit Policies: enable Client Credentials Flow and set Run As to "
            "the integration user (API Enabled)"
        )
    return (
        f"{APP_MANAGER} → Edit Policies: Permitted Users 'Admin approved users are "
        "pre-authorized', and add the user's profile or permission set; the app's certificate "
        "must match ICP_SYNC_SALESFORCE_PRIVATE_KEY and ICP_SYNC_SALESFORCE_USERNAME be the "
        "user's username"
    )


def daily_check(limits: Mapping[str, Any]) -> Check:
    """`limits/` → `DailyApiRequests: {Max, Remaining}`."""
    daily = limits.get("DailyApiRequests")
    try:
        remaining, limit = int(daily["Remaining"]), int(daily["Max"])  # type: ignore[index]
    except (TypeError, KeyError, ValueError):
        return Check("api_calls_today", SOURCE, "skip", "limits/ has no DailyApiRequests")
    return daily_calls_check(SOURCE, remaining, limit, RESET)


def access_of(
    client: SalesforceClient, fields: Mapping[str, Fields], needed: Sequence[str]
) -> list[FieldAccess] | str:
    """The `needed` custom fields on Account and Lead as the integration user has them
    (visible, hidden by FLS, missing); or why the Tooling API could not tell."""
    try:
        return [
            item
            for object_name in OBJECTS
            for item in field_access(
                client, object_name, list(dict.fromkeys(needed)), described=fields[object_name]
            )
        ]
    except ConnectorError as error:
        return str(error)


def assignment_rule_check(client: SalesforceClient, settings: Settings) -> Check:
    """An active lead assignment rule routes the leads icp-sync scores first."""
    name = "lead_assignment_rule"
    if not settings.salesforce_assign_new_leads:
        return Check(name, SOURCE, "ok", "off: ICP_SYNC_SALESFORCE_ASSIGN_NEW_LEADS=false")
    try:
        answer = client.query(ASSIGNMENT_RULE_SOQL)
    except ConnectorError as error:
        return Check(
            name,
            SOURCE,
            "warn",
            f"cannot read the assignment rules: {error}",
            "check by hand: Setup → Lead Assignment Rules shows one rule Active",
        )
    records = answer.get("records")
    active = [r.get("Name") for r in records if isinstance(r, Mapping)] if records else []
    if not active:
        return Check(
            name,
            SOURCE,
            "warn",
            "no active lead assignment rule: new leads keep their creator as owner after scoring",
            "Setup → Lead Assignment Rules → New (or open one) → rule entries on ICP_Tier__c → "
            "Active; or set ICP_SYNC_SALESFORCE_ASSIGN_NEW_LEADS=false",
        )
    return Check(name, SOURCE, "ok", f"active: {active[0]}")


def webhook_checks(settings: Settings) -> list[Check]:
    """The org id Outbound Messages are checked against is set; the messages themselves are a
    flow in the org, checked by hand."""
    org_id = settings.salesforce_org_id
    where = "Setup → Company Information → Salesforce.com Organization ID"
    if org_id is None:
        org = Check(
            "webhook_org_id",
            SOURCE,
            "warn",
            "ICP_SYNC_SALESFORCE_ORG_ID is not set: every Outbound Message is refused, so scores "
            "change only at the scheduled syncs",
            f"set it to the org id ({where})",
        )
    elif not ORG_ID.fullmatch(org_id):
        org = Check(
            "webhook_org_id",
            SOURCE,
            "fail",
            f"ICP_SYNC_SALESFORCE_ORG_ID is {org_id!r}, not an org id (00D…, 15 or 18 characters)",
            f"copy it from {where}",
        )
    else:
        org = Check("webhook_org_id", SOURCE, "ok", f"ICP_SYNC_SALESFORCE_ORG_ID is {org_id}")
    messages = Check(
        "outbound_messages",
        SOURCE,
        "skip",
        "the Outbound Messages are set up in the org; doctor does not read them",
        "check by hand: a record-triggered flow on Lead, Account and Opportunity with an "
        "Outbound Message to https://<your host>/webhooks/salesforce/outbound-message sending "
        "Id, and the entry condition LastModifiedById ≠ the integration user",
    )
    return [org, messages]

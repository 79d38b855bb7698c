"""`icp-sync doctor` against HubSpot: token, scopes, the ICP properties, the properties the
rubric reads, API calls left today, and the webhook settings.

Three read calls: the token's info (scopes), the company property list, whose answer also
carries the daily-limit headers, and the contact property list (contacts are scored and written
too). What only a person can see (a private app's webhook
subscriptions: no API reads them with a private-app token) is a `skip` saying what to check.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from app.crm import rubric_properties
from app.doctor.model import Check, daily_calls_check, guarded, skipped, unknown_names
from app.rubric import Rubric
from app.settings import Settings
from connectors.errors import AuthError, ConnectorError, NetworkError, QuotaExhaustedError
from connectors.hubspot.probe import HubSpotProbe, Properties
from connectors.hubspot.schema import PropertySpec, writeback_properties
from connectors.hubspot.scopes import SETUP_ONLY, missing_scopes, required_scopes

SOURCE = "hubspot"
CHECKS = (
    "credentials",
    "scopes",
    "icp_properties",
    "contact_icp_properties",
    "rubric_fields",
    "api_calls_today",
    "webhook_secret",
    "webhook_subscriptions",
)
APP_PAGE = "HubSpot → Settings → Integrations → Private Apps → your app"
SETUP = "run `icp-sync setup hubspot`"
RESET = "midnight in the HubSpot account's time zone"


def hubspot_checks(settings: Settings, rubric: Rubric | None) -> list[Check]:
    token = settings.hubspot_token.get_secret_value() if settings.hubspot_token else ""
    if not token:
        return [
            Check(
                "credentials",
                SOURCE,
                "fail",
                "ICP_SYNC_HUBSPOT_TOKEN is not set (or empty)",
                f"create a private app ({APP_PAGE}) and set its access token",
            ),
            *skipped(SOURCE, CHECKS[1:6], "no token"),
            *webhook_checks(settings),
        ]
    probe = HubSpotProbe(settings.hubspot_base_url, token)
    try:
        info = _attempt(probe.token_info)
        properties = _attempt(probe.company_properties)
        contact_properties = (
            _attempt(probe.contact_properties)
            if isinstance(properties, Properties) and settings.hubspot_contacts
            else None
        )
    finally:
        probe.close()
    credentials = credentials_check(info, properties)
    if credentials.status == "fail":
        return [credentials, *skipped(SOURCE, CHECKS[1:6], "credentials failed")]
    contacts = settings.hubspot_contacts
    checks = [credentials, scopes_check(info, properties, contacts=contacts)]
    if isinstance(properties, Properties):
        definitions = {str(d.get("name")): d for d in properties.definitions}
        checks += [
            guarded(
                SOURCE, "icp_properties", SETUP, lambda: icp_properties_check(rubric, definitions)
            ),
            _contact_properties(rubric, contact_properties)
            if contacts
            else Check(
                "contact_icp_properties", SOURCE, "skip", "off: ICP_SYNC_HUBSPOT_CONTACTS=false"
            ),
            _rubric_fields(rubric, definitions),
            _daily(properties),
        ]
    else:
        why = f"cannot read the company properties: {properties}"
        checks += skipped(
            SOURCE, ("icp_properties", "contact_icp_properties", "rubric_fields"), why
        )
        checks.append(_daily(properties))
    return [*checks, *webhook_checks(settings)]


def _contact_properties(rubric: Rubric | None, properties: object) -> Check:
    """The same writeback properties on contacts, which are scored and written too."""
    name = "contact_icp_properties"
    if not isinstance(properties, Properties):
        return Check(name, SOURCE, "fail", f"cannot read the contact properties: {properties}",
                     "grant crm.objects.contacts.read, then run doctor again")  # fmt: skip
    definitions = {str(d.get("name")): d for d in properties.definitions}
    check = guarded(SOURCE, name, SETUP, lambda: icp_properties_check(rubric, definitions))
    return Check(name, SOURCE, check.status, f"on contacts: {check.detail}", check.fix)


def _attempt(call: Any) -> Any:
    """The call's answer, or the connector error it raised (each check reads what it needs)."""
    try:
        return call()
    except ConnectorError as error:
        return error


def credentials_check(info: object, properties: object) -> Check:
    """The token is accepted: any answer but 401 (a 403 is a scope problem, reported there)."""
    if isinstance(info, dict) or isinstance(properties, Properties):
        hub = info.get("hubId") if isinstance(info, dict) else None
        where = f" (account {hub})" if hub is not None else ""
        return Check("credentials", SOURCE, "ok", f"HubSpot accepts the token{where}")
    error = properties if isinstance(properties, ConnectorError) else info
    if isinstance(error, AuthError) and error.status == 403:
        return Check("credentials", SOURCE, "ok", "HubSpot accepts the token")
    if isinstance(error, QuotaExhaustedError):
        return Check(
            "credentials",
            SOURCE,
            "warn",
            f"cannot tell: {error}",
            f"run doctor again after {RESET}",
        )
    if isinstance(error, NetworkError):
        fix = "check ICP_SYNC_HUBSPOT_BASE_URL (https://api.hubapi.com) and the network"
    else:
        fix = (
            f"set ICP_SYNC_HUBSPOT_TOKEN to the access token shown in {APP_PAGE} → Auth "
            "(a rotated token stops working)"
        )
    return Check("credentials", SOURCE, "fail", str(error), fix)


def scopes_check(info: object, properties: object, *, contacts: bool = True) -> Check:
    """The private app holds every scope in `REQUIRED_SCOPES` (less the contacts' write
    scopes when contacts are not scored)."""
    required = required_scopes(contacts=contacts)
    wanted = ", ".join(required)
    by_hand = f"check by hand in {APP_PAGE} → Scopes that it has {wanted}"
    refused = isinstance(properties, AuthError) and properties.status == 403
    if not isinstance(info, dict):
        if refused:  # the property list names what it missed
            return Check("scopes", SOURCE, "fail", str(properties), f"{by_hand}, then commit")
        reason = "HubSpot has no token-info endpoint here (404)" if info is None else str(info)
        return Check("scopes", SOURCE, "warn", f"cannot list the token's scopes: {reason}", by_hand)
    granted = info.get("scopes")
    if not isinstance(granted, list):
        return Check("scopes", SOURCE, "warn", "the token info lists no scopes", by_hand)
    missing = missing_scopes((str(s) for s in granted), contacts=contacts)
    if not missing:
        return Check("scopes", SOURCE, "ok", f"the token has the {len(required)} scopes needed")
    needs = "; ".join(f"{scope} ({required[scope]})" for scope in missing)
    return Check(
        "scopes",
        SOURCE,
        "warn" if set(missing) <= SETUP_ONLY else "fail",
        f"the token lacks {needs}",
        f"add {', '.join(missing)} in {APP_PAGE} → Scopes and commit the change",
    )


def icp_properties_check(rubric: Rubric | None, definitions: Mapping[str, Any]) -> Check:
    """The writeback properties exist, typed as setup makes them, with every tier and flag of
    the rubric as an option."""
    if rubric is None:
        return Check("icp_properties", SOURCE, "skip", "the rubric is invalid")
    specs = writeback_properties(
        [t.name for t in rubric.tiers], [d.id for d in rubric.disqualifiers]
    )
    missing = [spec.name for spec in specs if spec.name not in definitions]
    problems = [
        problem
        for spec in specs
        if spec.name in definitions
        for problem in property_problems(spec, definitions[spec.name])
    ]
    if missing:
        problems.insert(0, f"missing: {', '.join(missing)}")
    if not problems:
        return Check("icp_properties", SOURCE, "ok", f"all {len(specs)} exist with their options")
    return Check(
        "icp_properties",
        SOURCE,
        "fail",
        "; ".join(problems),
        f"{SETUP}: it creates missing properties, resets types and adds options (a property "
        "HubSpot will not retype: delete it in Settings → Properties, then run setup)",
    )


def property_problems(spec: PropertySpec, existing: Mapping[str, Any]) -> list[str]:
    """What is wrong with an existing definition: its type, its missing or hidden options."""
    problems: list[str] = []
    found = (existing.get("type"), existing.get("fieldType"))
    if found != (spec.type, spec.field_type):
        problems.append(
            f"{spec.name} is {found[0]}/{found[1]}, expected {spec.type}/{spec.field_type}"
        )
    if spec.type == "enumeration":
        options = existing.get("options")
        listed = {
            str(o.get("value")): o
            for o in (options if isinstance(options, list) else [])
            if isinstance(o, Mapping)
        }
        absent = [o.value for o in spec.options if o.value not in listed]
        hidden = [o.value for o in spec.options if listed.get(o.value, {}).get("hidden")]
        if absent:
            problems.append(f"{spec.name} lacks option(s) {', '.join(absent)}")
        if hidden:
            problems.append(f"{spec.name} hides option(s) {', '.join(hidden)}")
    return problems


def _rubric_fields(rubric: Rubric | None, definitions: Mapping[str, Any]) -> Check:
    if rubric is None:
        return Check("rubric_fields", SOURCE, "skip", "the rubric is invalid")
    return unknown_names(
        SOURCE, rubric_properties(rubric, SOURCE), definitions, "not a HubSpot company property"
    )


def _daily(properties: object) -> Check:
    if isinstance(properties, QuotaExhaustedError):
        return Check("api_calls_today", SOURCE, "fail", str(properties), f"wait until {RESET}")
    limits = properties.limits if isinstance(properties, Properties) else None
    if limits is None or limits.daily_max is None or limits.daily_remaining is None:
        return Check(
            "api_calls_today",
            SOURCE,
            "skip",
            "HubSpot sent no X-HubSpot-RateLimit-Daily headers (it sends none to OAuth tokens)",
        )
    return daily_calls_check(SOURCE, limits.daily_remaining, limits.daily_max, RESET)


def webhook_checks(settings: Settings) -> Sequence[Check]:
    """The app secret that verifies HubSpot's signatures is set; the subscriptions themselves
    are the app's settings, which a private-app token cannot read."""
    from app.webhooks.hubspot import SUBSCRIPTIONS

    if settings.hubspot_app_secret is None:
        secret = Check(
            "webhook_secret",
            SOURCE,
            "warn",
            "ICP_SYNC_HUBSPOT_APP_SECRET is not set: every HubSpot webhook is refused, so scores "
            "change only at the scheduled syncs",
            f"set it to the client secret in {APP_PAGE} → Auth",
        )
    else:
        secret = Check("webhook_secret", SOURCE, "ok", "ICP_SYNC_HUBSPOT_APP_SECRET is set")
    subscriptions = Check(
        "webhook_subscriptions",
        SOURCE,
        "skip",
        "a private-app token cannot read the app's webhook subscriptions",
        f"check by hand in {APP_PAGE} → Webhooks: target URL https://<your host>/webhooks/hubspot;"
        f" subscriptions {', '.join(SUBSCRIPTIONS)} (propertyChange: the properties the rubric "
        "reads)",
    )
    return [secret, subscriptions]

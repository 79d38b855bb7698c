"""Builds the connector for a CRM from the settings; the one place that knows which
connector class serves which source."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from app.errors import ConfigError
from app.rubric import Rubric
from app.rubric.model import Criterion, Disqualifier
from app.scoring.facts import CANONICAL_FIELDS
from app.settings import Settings
from connectors.base import CrmConnector

if TYPE_CHECKING:
    from connectors.hubspot.connector import HubSpotConnector
    from connectors.retry import RetryPolicy
    from connectors.salesforce.connector import SalesforceConnector

SOURCES = ("hubspot", "salesforce")
ALL = "all"
PEM_HEADER = "-----BEGIN"


def rubric_properties(rubric: Rubric, source: str) -> list[str]:
    """The CRM properties a rubric reads beyond the canonical fields: those its `fields`
    section maps for this CRM, and fields it names that are no canonical column (read as raw
    properties of that name). A connector pulls them with every record."""
    rules: list[Criterion | Disqualifier] = [c for _, c in rubric.criteria]
    rules += rubric.disqualifiers
    named = [
        name
        for rule in rules
        for name in (rule.semantic.fields if rule.semantic is not None else [rule.field])
    ]
    wanted: list[str] = []
    for name in named:
        mapped = rubric.fields.get(name, {}).get(source)  # type: ignore[call-overload]
        candidate = mapped or (None if name in CANONICAL_FIELDS else name)
        if candidate and candidate not in wanted:
            wanted.append(candidate)
    return wanted


def pulled_properties(rubric: Rubric, also: Sequence[Rubric], source: str) -> list[str]:
    """What `rubric` and the rubrics `also` scored (challengers, in shadow) read."""
    return list(dict.fromkeys(p for r in (rubric, *also) for p in rubric_properties(r, source)))


def hubspot_connector(
    base_url: str,
    token: str,
    rubric: Rubric,
    *,
    retry: RetryPolicy | None = None,
    overlap: timedelta | None = None,
    also: Sequence[Rubric] = (),
    contacts: bool = True,
) -> HubSpotConnector:
    """A HubSpot connector whose writeback options and pulled properties follow the rubric
    (`retry`: the connector's retry policy, `overlap`: its incremental pulls' overlap; their
    defaults when None; `contacts`: whether contacts are scored)."""
    from connectors.hubspot.connector import DEFAULT_OVERLAP, HubSpotConnector

    return HubSpotConnector(
        base_url,
        token,
        tiers=[tier.name for tier in rubric.tiers],
        flags=[d.id for d in rubric.disqualifiers],
        extra_properties=pulled_properties(rubric, also, "hubspot"),
        retry=retry,
        overlap=DEFAULT_OVERLAP if overlap is None else overlap,
        contacts=contacts,
    )


def salesforce_connector(
    instance_url: str,
    rubric: Rubric,
    *,
    client_id: str,
    client_secret: str | None = None,
    username: str | None = None,
    private_key: str | None = None,
    ca_bundle: str | None = None,
    assign_new_leads: bool = True,
    retry: RetryPolicy | None = None,
    overlap: timedelta | None = None,
    also: Sequence[Rubric] = (),
) -> SalesforceConnector:
    """A Salesforce connector whose picklist values and pulled fields follow the rubric
    (`retry`: the connector's retry policy; `overlap`: its incremental pulls' overlap; their
    defaults when None)."""
    from connectors.salesforce.connector import DEFAULT_OVERLAP, SalesforceConnector

    return SalesforceConnector(
        instance_url,
        client_id=client_id,
        client_secret=client_secret,
        username=username,
        private_key=private_key,
        ca_bundle=ca_bundle,
        tiers=[tier.name for tier in rubric.tiers],
        flags=[d.id for d in rubric.disqualifiers],
        extra_fields=pulled_properties(rubric, also, "salesforce"),
        assign_new_leads=assign_new_leads,
        retry=retry,
        overlap=DEFAULT_OVERLAP if overlap is None else overlap,
    )


def configured_sources(settings: Settings) -> list[str]:
    """The CRMs the settings point at (what `--source all` syncs)."""
    configured = {
        "hubspot": settings.hubspot_token is not None,
        "salesforce": settings.salesforce_instance_url is not None,
    }
    return [source for source in SOURCES if configured[source]]


def resolve_sources(source: str, settings: Settings) -> list[str]:
    """`--source`: one CRM, or `all` of those configured."""
    if source == ALL:
        sources = configured_sources(settings)
        if not sources:
            raise ConfigError(
                "--source all: no CRM is configured; set ICP_SYNC_HUBSPOT_TOKEN or "
                "ICP_SYNC_SALESFORCE_INSTANCE_URL (or run `icp-sync sandbox`)"
            )
        return sources
    if source not in SOURCES:
        raise ConfigError(
            f"--source: unknown CRM {source!r}; expected one of {', '.join((*SOURCES, ALL))}"
        )
    return [source]


def _private_key(settings: Settings) -> str | None:
    """ICP_SYNC_SALESFORCE_PRIVATE_KEY holds the PEM itself or the path of a PEM file."""
    if settings.salesforce_private_key is None:
        return None
    value = settings.salesforce_private_key.get_secret_value().strip()
    if value.startswith(PEM_HEADER):
        return value
    try:
        return Path(value).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(
            "ICP_SYNC_SALESFORCE_PRIVATE_KEY: neither a PEM key nor a readable PEM file "
            f"({type(error).__name__})"
        ) from None


def _salesforce_from_settings(
    settings: Settings, rubric: Rubric, also: Sequence[Rubric] = ()
) -> SalesforceConnector:
    if settings.salesforce_instance_url is None:
        raise ConfigError(
            "ICP_SYNC_SALESFORCE_INSTANCE_URL is not set: set your org's My Domain URL (or run "
            "`icp-sync sandbox`)"
        )
    if settings.salesforce_client_id is None:
        raise ConfigError(
            "ICP_SYNC_SALESFORCE_CLIENT_ID is not set: the consumer key of the connected app"
        )
    secret = settings.salesforce_client_secret
    key = _private_key(settings)
    if secret is None and (key is None or settings.salesforce_username is None):
        raise ConfigError(
            "Salesforce credentials are incomplete: set ICP_SYNC_SALESFORCE_CLIENT_SECRET "
            "(client credentials flow) or ICP_SYNC_SALESFORCE_USERNAME and "
            "ICP_SYNC_SALESFORCE_PRIVATE_KEY (JWT bearer flow)"
        )
    ca_bundle = settings.salesforce_ca_bundle
    if ca_bundle is not None and not ca_bundle.is_file():
        raise ConfigError(f"ICP_SYNC_SALESFORCE_CA_BUNDLE: no such file: {ca_bundle}")
    return salesforce_connector(
        settings.salesforce_instance_url,
        rubric,
        client_id=settings.salesforce_client_id.get_secret_value(),
        client_secret=secret.get_secret_value() if secret is not None else None,
        username=settings.salesforce_username if secret is None else None,
        private_key=key if secret is None else None,
        ca_bundle=str(ca_bundle) if ca_bundle is not None else None,
        assign_new_leads=settings.salesforce_assign_new_leads,
        overlap=sync_overlap(settings),
        also=also,
    )


def sync_overlap(settings: Settings) -> timedelta:
    """How far before its bookmark an incremental pull reads again (`app.sync.checkpoints`)."""
    return timedelta(seconds=settings.sync_overlap_seconds)


def make_connector(
    source: str, settings: Settings, rubric: Rubric, *, also: Sequence[Rubric] = ()
) -> CrmConnector:
    """`rubric`: the champion (writeback options and what it reads); `also`: challengers,
    whose properties are pulled too."""
    if source == "salesforce":
        return _salesforce_from_settings(settings, rubric, also)
    if source == "hubspot":
        if settings.hubspot_token is None:
            raise ConfigError(
                "ICP_SYNC_HUBSPOT_TOKEN is not set: create a private app in HubSpot (or run "
                "`icp-sync sandbox`) and set its token"
            )
        return hubspot_connector(
            settings.hubspot_base_url,
            settings.hubspot_token.get_secret_value(),
            rubric,
            overlap=sync_overlap(settings),
            also=also,
            contacts=settings.hubspot_contacts,
        )
    # Named without `--source`: `setup CRM` takes it as an argument.
    raise ConfigError(f"unknown CRM {source!r}; expected one of {', '.join(SOURCES)}")

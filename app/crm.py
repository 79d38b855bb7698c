"""Builds the connector for a CRM from the settings; the one place that knows which
connector class serves which source."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.errors import ConfigError
from app.rubric import Rubric
from app.scoring.facts import CANONICAL_FIELDS
from app.settings import Settings
from connectors.base import CrmConnector

if TYPE_CHECKING:
    from connectors.hubspot.connector import HubSpotConnector

SOURCES = ("hubspot",)


def rubric_properties(rubric: Rubric, source: str) -> list[str]:
    """The CRM properties a rubric reads beyond the canonical fields: those its `fields`
    section maps for this CRM, and fields it names that are no canonical column (read as raw
    properties of that name). A connector pulls them with every record."""
    named = [c.field for _, c in rubric.criteria] + [d.field for d in rubric.disqualifiers]
    wanted: list[str] = []
    for name in named:
        mapped = rubric.fields.get(name, {}).get(source)  # type: ignore[call-overload]
        candidate = mapped or (None if name in CANONICAL_FIELDS else name)
        if candidate and candidate not in wanted:
            wanted.append(candidate)
    return wanted


def hubspot_connector(base_url: str, token: str, rubric: Rubric) -> HubSpotConnector:
    """A HubSpot connector whose writeback options and pulled properties follow the rubric."""
    from connectors.hubspot.connector import HubSpotConnector

    return HubSpotConnector(
        base_url,
        token,
        tiers=[tier.name for tier in rubric.tiers],
        flags=[d.id for d in rubric.disqualifiers],
        extra_properties=rubric_properties(rubric, "hubspot"),
    )


def make_connector(source: str, settings: Settings, rubric: Rubric) -> CrmConnector:
    if source == "hubspot":
        if settings.hubspot_token is None:
            raise ConfigError(
                "ICP_SYNC_HUBSPOT_TOKEN is not set: create a private app in HubSpot (or run "
                "`icp-sync sandbox`) and set its token"
            )
        return hubspot_connector(
            settings.hubspot_base_url, settings.hubspot_token.get_secret_value(), rubric
        )
    raise ConfigError(f"--source: unknown CRM {source!r}; expected one of {', '.join(SOURCES)}")

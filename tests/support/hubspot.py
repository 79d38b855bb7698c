"""Helpers shared by the HubSpot connector tests (imported by name: tests are not a package)."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import TypeVar

from app.crm import hubspot_connector, rubric_properties
from app.rubric import Rubric
from connectors.hubspot.connector import DEFAULT_OVERLAP, HubSpotConnector
from connectors.records import CrmAccount, CrmDeal, Cursor, Page
from crm_sandbox.sandbox import RunningSandbox

FLAGS = ("too_small", "excluded_industry", "personal_email_domain", "competitor")
TIERS = ("tier_1", "tier_2", "tier_3")


class RecordingSleep:
    """Records every wait instead of waiting; `on_sleep` runs after each (e.g. to let a
    sandbox rate-limit window pass without real time passing). `clock` is the time as the
    code under test should see it: the real monotonic clock plus every wait recorded, so
    pacing that schedules calls ahead sees its waits pass."""

    def __init__(self, on_sleep: Callable[[float], None] | None = None) -> None:
        self.waits: list[float] = []
        self.on_sleep = on_sleep
        self._slept = 0.0

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self._slept += seconds
        if self.on_sleep is not None:
            self.on_sleep(seconds)

    def clock(self) -> float:
        return time.monotonic() + self._slept

    @property
    def retry_waits(self) -> list[float]:
        """Waits other than search pacing (which is at most a quarter second)."""
        return [w for w in self.waits if w > 0.25]


ConnectorFactory = Callable[..., HubSpotConnector]
RecordT = TypeVar("RecordT", CrmAccount, CrmDeal)


def records_of(pages: Sequence[Page[RecordT]]) -> list[RecordT]:
    """Every record of a pull's pages, in order."""
    return [record for page in pages for record in page.records]


def final_cursor(pages: Sequence[Page[RecordT]]) -> Cursor:
    """The cursor a pull ends with (its last page's; never None here)."""
    cursor = pages[-1].cursor
    assert cursor is not None
    return cursor


def set_modified(sandbox: RunningSandbox, company_ids: list[str], at: datetime) -> None:
    """Gives these companies one and the same last-modified instant (a tie); search sees it
    after the sandbox's search lag, like any change."""
    sandbox.hubspot.set_modified("companies", company_ids, at)


def connect(
    sandbox: RunningSandbox,
    rubric: Rubric,
    page_size: int = 100,
    overlap: timedelta = DEFAULT_OVERLAP,
) -> HubSpotConnector:
    """A HubSpot connector to the sandbox as the service builds it for `rubric`, with the page
    size and incremental overlap given, its properties created."""
    connector = HubSpotConnector(
        sandbox.hubspot_url,
        sandbox.hubspot_token,
        tiers=[tier.name for tier in rubric.tiers],
        flags=[d.id for d in rubric.disqualifiers],
        extra_properties=rubric_properties(rubric, "hubspot"),
        page_size=page_size,
        overlap=overlap,
    )
    connector.ensure_schema()
    return connector


def connected(sandbox: RunningSandbox, rubric: Rubric) -> Iterator[HubSpotConnector]:
    """The service's HubSpot connector to the sandbox, its properties created (a fixture's
    body: `yield from connected(sandbox, rubric)`)."""
    with hubspot_connector(sandbox.hubspot_url, sandbox.hubspot_token, rubric) as connector:
        connector.ensure_schema()
        yield connector


def score_writes(sandbox: RunningSandbox) -> Counter[str]:
    """Writes of a score through the API per company (a person's edit made in the sandbox,
    source SANDBOX, is not one)."""
    return Counter(
        w.object_id
        for w in sandbox.hubspot.writes("companies")
        if w.source == "API" and "icp_tier" in w.properties
    )


def edit_tier_by_hand(sandbox: RunningSandbox, company: str) -> tuple[str, str]:
    """Sets the company's `icp_tier` to another tier, as a person in HubSpot would
    (changeSource CRM_UI); returns (the tier we had written, the tier set by hand)."""
    ours = sandbox.hubspot.company(company)["icp_tier"]
    edited = "tier_1" if ours != "tier_1" else "tier_2"
    sandbox.hubspot.touch_company(company, icp_tier=edited)
    return ours, edited

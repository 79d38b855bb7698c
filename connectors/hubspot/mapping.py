"""HubSpot objects → neutral records. Pure: no I/O, no clock, and never raises on bad data.

Input is a CRM object in HubSpot's JSON shape (`id`, `properties`, `createdAt`, `updatedAt`,
`archived`, `archivedAt`, `associations`), as the API sends it. A value that cannot be read
(`"12abc"` employees, a date that is not one) leaves its canonical field None; the raw string
always stays in `properties`, so nothing pulled is ever lost and the scorer can say
"unreadable" instead of guessing. The value readers are shared with Salesforce
(`connectors.values`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from connectors.normalise import MAX_EMAIL_LENGTH, company_email_domain, normalise_domain
from connectors.records import CrmAccount, CrmDeal
from connectors.values import (
    EPOCH,
    as_text,
    clean_text,
    crm_id,
    dedupe,
    parse_bool,
    parse_date,
    parse_datetime,
    parse_decimal,
    parse_int,
    split_multi,
    storable,
)

MAX_LABEL_LENGTH = 255  # the store's deal stage and pipeline columns
LAST_MODIFIED = "hs_lastmodifieddate"
CONTACT_LAST_MODIFIED = "lastmodifieddate"
"""Contacts keep their last modification in `lastmodifieddate`, the property their search
filters and sorts on (companies and deals: `hs_lastmodifieddate`)."""


COMPANY_SOURCES = frozenset({
    "name", "domain", "website", "industry", "numberofemployees", "annualrevenue", "country",
    "state", "web_technologies",
})  # fmt: skip
"""The company properties `company_to_account` reads into canonical fields."""
CONTACT_SOURCES = frozenset({
    "email", "firstname", "lastname", "jobtitle", "website", "industry", "country", "state",
    "associatedcompanyid",
})  # fmt: skip
"""The contact properties `contact_to_account` reads into canonical fields (and its company)."""


def company_to_account(obj: Mapping[str, Any]) -> CrmAccount:
    """A HubSpot company as a CrmAccount (object type `company`)."""
    props = raw_properties(obj.get("properties"))
    archived = parse_bool(obj.get("archived")) is True
    domain_text = clean_text(props.get("domain")) or clean_text(props.get("website"))
    return CrmAccount(
        source="hubspot",
        object_type="company",
        crm_id=_object_id(obj, props),
        modified_at=modified_at(obj, props),
        name=clean_text(props.get("name")),
        domain=normalise_domain(domain_text) if domain_text else None,
        industry=clean_text(props.get("industry")),
        employees=parse_int(props.get("numberofemployees")),
        annual_revenue=parse_decimal(props.get("annualrevenue")),
        country=clean_text(props.get("country")),
        state=clean_text(props.get("state")),
        technologies=split_multi(props.get("web_technologies")),
        created_at=created_at(obj, props),
        archived=archived,
        properties=props,
    )


def contact_to_account(obj: Mapping[str, Any], company_ids: Iterable[str] = ()) -> CrmAccount:
    """A HubSpot contact as a CrmAccount (object type `contact`): a person, scored as a
    prospect. Its company is the primary one HubSpot keeps in `associatedcompanyid`, else the
    first of its associated companies (`associations` block, then `company_ids`); its domain
    is its work e-mail's (not a free-mail provider's), else its `website`."""
    props = raw_properties(obj.get("properties"))
    email = clean_text(props.get("email"), max_length=MAX_EMAIL_LENGTH)
    website = clean_text(props.get("website"))
    full_name = " ".join(
        part
        for part in (clean_text(props.get("firstname")), clean_text(props.get("lastname")))
        if part
    )
    companies = dedupe([
        *([primary] if (primary := crm_id(props.get("associatedcompanyid"))) else []),
        *associated_ids(obj, "companies"),
        *company_ids,
    ])  # fmt: skip
    return CrmAccount(
        source="hubspot",
        object_type="contact",
        crm_id=_object_id(obj, props),
        modified_at=modified_at(obj, props, CONTACT_LAST_MODIFIED),
        name=full_name or email,
        domain=company_email_domain(email) or (normalise_domain(website) if website else None),
        industry=clean_text(props.get("industry")),
        country=clean_text(props.get("country")),
        state=clean_text(props.get("state")),
        email=email,
        title=clean_text(props.get("jobtitle")),
        created_at=created_at(obj, props),
        archived=parse_bool(obj.get("archived")) is True,
        properties=props,
        company_id=companies[0] if companies else None,
    )


def deal_to_deal(
    obj: Mapping[str, Any], account_ids: Iterable[str] = (), contact_ids: Iterable[str] = ()
) -> CrmDeal:
    """A HubSpot deal as a CrmDeal. Company ids come from the object's `associations` block
    and/or `account_ids` (from a separate association read), deduplicated in order.

    Closed/won come from HubSpot's calculated `hs_is_closed` / `hs_is_closed_won`, which follow
    each pipeline's stage metadata; stage names (`closedwon`) only hold for the default pipeline.
    """
    props = raw_properties(obj.get("properties"))
    is_won = parse_bool(props.get("hs_is_closed_won")) is True
    is_closed = is_won or parse_bool(props.get("hs_is_closed")) is True
    return CrmDeal(
        source="hubspot",
        crm_id=_object_id(obj, props),
        modified_at=modified_at(obj, props),
        name=clean_text(props.get("dealname")),
        stage=clean_text(props.get("dealstage"), max_length=MAX_LABEL_LENGTH),
        pipeline=clean_text(props.get("pipeline"), max_length=MAX_LABEL_LENGTH),
        is_closed=is_closed,
        is_won=is_won,
        amount=parse_decimal(props.get("amount")),
        close_date=parse_date(props.get("closedate")),
        created_at=created_at(obj, props),
        archived=parse_bool(obj.get("archived")) is True,
        account_ids=dedupe([*associated_ids(obj, "companies"), *account_ids]),
        properties=props,
        contact_ids=dedupe([*associated_ids(obj, "contacts"), *contact_ids]),
    )


def raw_properties(value: object) -> dict[str, str | None]:
    """Every property as HubSpot's string (None for null). Non-string values a server should
    not send are kept as text rather than dropped."""
    if not isinstance(value, Mapping):
        return {}
    return {storable(str(key)): as_text(item) for key, item in value.items()}


def associated_ids(obj: Mapping[str, Any], to_type: str) -> tuple[str, ...]:
    """Ids in `associations.<to_type>.results[].id`; HubSpot lists an id once per association
    type (primary and unlabeled), so they are deduplicated."""
    associations = obj.get("associations")
    if not isinstance(associations, Mapping):
        return ()
    block = associations.get(to_type)
    results = block.get("results") if isinstance(block, Mapping) else None
    if not isinstance(results, list):
        return ()
    ids = (crm_id(item.get("id")) for item in results if isinstance(item, Mapping))
    return dedupe(i for i in ids if i)


def modified_at(
    obj: Mapping[str, Any], props: Mapping[str, str | None], name: str = LAST_MODIFIED
) -> datetime:
    """The last-modified property `name` (what search filters and sorts on:
    `hs_lastmodifieddate`, a contact's `lastmodifieddate`), else `updatedAt`; for an archived
    object the archive time counts as a modification too. EPOCH if none is readable."""
    moment = parse_datetime(props.get(name)) or parse_datetime(obj.get("updatedAt"))
    if parse_bool(obj.get("archived")) is True:
        archived = parse_datetime(obj.get("archivedAt"))
        updated = parse_datetime(obj.get("updatedAt"))
        moment = max((m for m in (moment, archived, updated) if m is not None), default=None)
    return moment or created_at(obj, props) or EPOCH


def created_at(obj: Mapping[str, Any], props: Mapping[str, str | None]) -> datetime | None:
    return parse_datetime(props.get("createdate")) or parse_datetime(obj.get("createdAt"))


def _object_id(obj: Mapping[str, Any], props: Mapping[str, str | None]) -> str:
    """The record's id ("" when it has no usable one, at most `MAX_ID_LENGTH` characters)."""
    return crm_id(obj.get("id")) or crm_id(props.get("hs_object_id"))

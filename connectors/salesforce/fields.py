"""Which fields a pull selects: our fixed lists, cut to what the org's describe shows.

An org may lack a standard field (State & Country picklists, a feature not enabled) or hide it
from the integration user (field-level security): SOQL naming it fails the whole query with
`INVALID_FIELD`. So each object is described once (lazily, then cached) and only fields it
shows are selected. The rubric's extra fields are added where they exist; one that exists on
none of the account-like objects is a `RejectedError` naming it, since a rubric reading it
would silently score everything as missing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from connectors.errors import RejectedError
from connectors.salesforce.describe import fields_by_name
from connectors.salesforce.schema import WRITEBACK_FIELDS
from connectors.salesforce.soql import identifier

ACCOUNT = "Account"
LEAD = "Lead"
OPPORTUNITY = "Opportunity"
ACCOUNT_OBJECTS = (ACCOUNT, LEAD)
ALWAYS = ("Id", "SystemModstamp")
"""Selected whatever describe says: a record without them cannot be paged or stored."""
SYSTEM_FIELDS = ("SystemModstamp", "CreatedDate", "IsDeleted", "OwnerId")

ACCOUNT_FIELDS = (
    "Id",
    "Name",
    "Website",
    "Industry",
    "NumberOfEmployees",
    "AnnualRevenue",
    "BillingCountry",
    "BillingState",
    "BillingCity",
    "Type",
    "ParentId",
    *SYSTEM_FIELDS,
    *WRITEBACK_FIELDS,  # what Salesforce holds, for a look at what was last written
)
LEAD_FIELDS = (
    "Id",
    "FirstName",
    "LastName",
    "Company",
    "Title",
    "Email",
    "Website",
    "Industry",
    "NumberOfEmployees",
    "AnnualRevenue",
    "Country",
    "State",
    "Status",
    "LeadSource",
    "Rating",
    "IsConverted",
    "ConvertedAccountId",
    "ConvertedDate",
    *SYSTEM_FIELDS,
    *WRITEBACK_FIELDS,
)
OPPORTUNITY_FIELDS = (
    "Id",
    "Name",
    "AccountId",
    "StageName",
    "IsClosed",
    "IsWon",
    "Amount",
    "CloseDate",
    "Type",
    "LeadSource",
    "Probability",
    *SYSTEM_FIELDS,
)
FIXED_FIELDS: Mapping[str, tuple[str, ...]] = {
    ACCOUNT: ACCOUNT_FIELDS,
    LEAD: LEAD_FIELDS,
    OPPORTUNITY: OPPORTUNITY_FIELDS,
}


class Describer(Protocol):
    def describe(self, object_name: str) -> dict[str, Any]: ...


class FieldCatalog:
    """Describe results per object (one call each, cached) and the field lists they allow."""

    def __init__(self, client: Describer, extra_fields: Sequence[str] = ()) -> None:
        self._client = client
        self._extra = tuple(dict.fromkeys(identifier(name) for name in extra_fields))
        self._described: dict[str, dict[str, Mapping[str, Any]]] = {}
        self._checked = False

    def fields(self, object_name: str) -> dict[str, Mapping[str, Any]]:
        """The object's fields as describe lists them, by name."""
        if object_name not in self._described:
            self._described[object_name] = fields_by_name(self._client.describe(object_name))
        return self._described[object_name]

    def selection(self, object_name: str) -> tuple[str, ...]:
        """What to SELECT from the object: our fixed fields and (for accounts and leads) the
        rubric's extra fields, those describe shows, plus `ALWAYS`."""
        wanted: Iterable[str] = FIXED_FIELDS[object_name]
        if object_name in ACCOUNT_OBJECTS:
            self._check_extra()
            wanted = (*wanted, *self._extra)
        shown = self.fields(object_name)
        chosen = [name for name in dict.fromkeys(wanted) if name in shown or name in ALWAYS]
        return tuple(dict.fromkeys([*ALWAYS, *chosen]))

    def forget(self) -> None:
        """Drops cached describes (after fields were created)."""
        self._described.clear()
        self._checked = False

    def _check_extra(self) -> None:
        if self._checked or not self._extra:
            return
        shown = [self.fields(name) for name in ACCOUNT_OBJECTS]
        missing = [name for name in self._extra if not any(name in fields for fields in shown)]
        if missing:
            raise RejectedError(
                f"the rubric reads Salesforce field(s) {', '.join(missing)}, which exist on "
                f"neither {' nor '.join(ACCOUNT_OBJECTS)} (or the integration user cannot see "
                "them): check the API names in the rubric's `fields` and the field-level "
                "security",
                code="INVALID_FIELD",
            )
        self._checked = True

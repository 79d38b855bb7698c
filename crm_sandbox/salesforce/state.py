"""The Salesforce sandbox's org: its backend (`backend`), seeded from the shared generator
(`seeding`), with what only the UI does (there is no REST verb for it): converting a Lead,
restoring a record from the recycle bin; and, for tests and benchmarks, dating records' last
modification (`set_modified`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from crm_sandbox.salesforce.backend import SalesforceBackend
from crm_sandbox.salesforce.errors import SalesforceError
from crm_sandbox.salesforce.permissions import UserPermissions, install
from crm_sandbox.salesforce.seeding import seed_org
from crm_sandbox.salesforce.values import sf_date


class SalesforceState(SalesforceBackend):
    """The org, seeded; everything the API does and the UI's own operations."""

    # --- construction ---------------------------------------------------------------------

    @classmethod
    def seeded(
        cls,
        seed: int = 7,
        companies: int = 200,
        deals_per_company: float = 2.0,
        *,
        as_of: datetime | date | None = None,
        with_icp_fields: bool = True,
        leads_per_company: float = 0.5,
        active_lead_rule: bool = True,
        field_security: bool = True,
        user_permissions: UserPermissions | None = None,
    ) -> SalesforceState:
        """An org from `seed.generate(...)`; `with_icp_fields` pre-creates the seven
        `ICP_*__c` fields on Account and Lead (as after icp-sync's setup).

        `leads_per_company` Leads per company: two thirds of them belong to live companies
        (e-mail at the company's domain, no company data of their own; spread evenly, so 0.5
        gives one lead to every third company, 2.0 four to every three), one third are
        companies of their own (own company data, a domain no Account has).

        The integration user has `user_permissions` (default `UserPermissions()`); with
        `with_icp_fields` it also holds what setup grants (the `ICP_Sync_Integration` permission
        set), so the fields are visible to it. `field_security=False` shows every field."""
        org = seed_org(
            seed,
            companies,
            deals_per_company,
            as_of=as_of,
            with_icp_fields=with_icp_fields,
            leads_per_company=leads_per_company,
            active_lead_rule=active_lead_rule,
        )
        state = cls(
            records=org.records,
            schema=org.schema,
            clock_ms=org.newest_ms,
            user_permissions=user_permissions or UserPermissions(),
            field_security=field_security,
        )
        install(state, grant_icp_fields=with_icp_fields)
        return state

    def reseed(
        self,
        seed: int,
        companies: int,
        deals_per_company: float,
        *,
        as_of: datetime | date | None = None,
        with_icp_fields: bool = True,
        leads_per_company: float = 0.5,
    ) -> None:
        """Holds what `seeded(...)` would, in place, as if restarted (the control plane's reset):
        the API and the listeners keep this object (and the lead rule active or not, as started)."""
        rules = self.records.get("AssignmentRule", {}).values()
        fresh = SalesforceState.seeded(
            seed,
            companies,
            deals_per_company,
            as_of=as_of,
            with_icp_fields=with_icp_fields,
            leads_per_company=leads_per_company,
            active_lead_rule=not rules or any(rule["Active"] for rule in rules),
            field_security=self.field_security,
            user_permissions=self.user_permissions,
        )
        with self._lock:
            self.records, self.schema = fresh.records, fresh.schema
            self.custom_field_ids = fresh.custom_field_ids
            self.clock_ms = max(self.clock_ms, fresh.clock_ms)
            self._next_number = fresh._next_number
            self.locked.clear()
            self.updates.clear()

    def convert_lead(self, lead_id: str, account_id: str | None = None) -> dict[str, Any]:
        """Converts a Lead as the UI would (there is no REST verb for it): `IsConverted`, the
        converted status and date, the account it went to; the lead is read-only after."""
        with self._lock:
            record = self._find("Lead", lead_id, allow_deleted=False)
            if record["IsConverted"]:
                raise SalesforceError("CANNOT_UPDATE_CONVERTED_LEAD", "cannot reference "
                                      "converted lead")  # fmt: skip
            now = self.tick()
            if account_id is not None:
                account_id = str(self._find("Account", account_id, allow_deleted=False)["Id"])
            record.update(
                IsConverted=True,
                Status="Closed - Converted",
                ConvertedAccountId=account_id,
                ConvertedDate=sf_date(now),
                SystemModstamp=now,
                LastModifiedDate=now,
                LastModifiedById=self.integration_user_id,
            )
            self._changed("Lead", record, "updated")
            return dict(record)

    def undelete(self, object_name: str, record_id: str) -> None:
        with self._lock:
            record = self._find(object_name, record_id, allow_deleted=True)
            now = self.tick()
            record.update(IsDeleted=False, SystemModstamp=now, LastModifiedDate=now)

    def set_modified(self, object_name: str, stamps: Mapping[str, int]) -> None:
        """Dates records' last modification (record id → epoch ms), as if they were saved
        then: a test or benchmark can make a load an hour old without waiting an hour. Later
        saves still come after every stamp given."""
        with self._lock:
            for record_id, at_ms in stamps.items():
                record = self._find(object_name, record_id, allow_deleted=True)
                record.update(SystemModstamp=at_ms, LastModifiedDate=at_ms)
                self.clock_ms = max(self.clock_ms, at_ms)

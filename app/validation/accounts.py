"""The live stored accounts that `validate` and `plan` score, each scored once per rubric.

On a big CRM, reading accounts as ORM objects and scoring each again for every use was most
of these commands' time. Here the columns the scorer reads are selected once (plain rows, no
ORM objects), an account's facts are built once, and its score once per rubric, then reused:

- `own`: the account's own facts without its deal counts, what validation grades (a rubric
  reading `deals_won` would otherwise be graded on the very outcome it predicts);
- `as_synced`: the facts a sync scores (`app.sync.rescore.prepared`: deal counts, a lead
  completed from its account), what `plan` compares. They are the account's own facts, so
  the same score, unless the rubric reads deal counts or the record is a lead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.scoring import AccountFacts, CompiledRubric, ScoreResult, score
from app.store.repo import DealCounts, accounts_by_domains, deal_counts
from app.store.tables import Account
from app.sync.facts import DEAL_FIELDS, DONOR, LEAD, account_facts, with_account_fallback
from app.sync.rescore import scored
from app.validation.driver import CHUNK, driver_rows

ClosedDeal = tuple[int, bool, date]
"""(account id, won, close date) of one closed deal and one account it is linked to."""
DealColumns = tuple[
    list[int], "npt.NDArray[np.int64]", "npt.NDArray[np.bool_]", "npt.NDArray[np.int64]"
]
"""(record account ids, then per deal: record, won, close day ordinal): `load.outcome_columns`."""
Progress = Callable[[int], None]
"""Called with how many more records were read or scored."""


class AccountRow(NamedTuple):
    """The columns of `COLUMNS`, in order: what `account_facts` and `plan` read."""

    id: int
    source: str
    object_type: str
    crm_id: str
    name: str | None
    domain: str | None
    industry: str | None
    employees: int | None
    annual_revenue: Decimal | None
    country: str | None
    state: str | None
    technologies: list[str]
    properties: Mapping[str, Any]
    email: str | None
    title: str | None


COLUMNS = (
    Account.id,
    Account.source,
    Account.object_type,
    Account.crm_id,
    Account.name,
    Account.domain,
    Account.industry,
    Account.employees,
    Account.annual_revenue,
    Account.country,
    Account.state,
    Account.technologies,
    Account.properties,
    Account.email,
    Account.title,
)
_NO_DEALS = DealCounts()


def _ignore(_: int) -> None:
    return None


class ScoredAccounts:
    """Every live account (of `source`, if given), read on first use; scores memoised per
    rubric content (its fingerprint). One instance per command: nothing here sees writes
    made after the accounts were read."""

    def __init__(
        self,
        session: Session,
        *,
        now: datetime,
        source: str | None = None,
        progress: Progress | None = None,
    ) -> None:
        self._session = session
        self._now = now
        self._source = source
        self.progress: Progress = progress or _ignore
        self._rows: dict[int, AccountRow] | None = None
        self._facts: dict[int, AccountFacts] = {}
        self._own: dict[str, dict[int, ScoreResult]] = {}
        self.closed_deals: list[ClosedDeal] | None = None
        """Read by `app.validation.load.outcomes` on its first call, reused by the next."""
        self.deal_columns: dict[date | None, DealColumns] = {}
        """`closed_deals` as columns per `since`, shared by the rubrics' outcomes."""

    @property
    def now(self) -> datetime:
        return self._now

    def rows(self) -> dict[int, AccountRow]:
        """Account id → its row (the columns of `COLUMNS`), in id order."""
        if self._rows is None:
            query = (
                select(*COLUMNS)
                .where(Account.archived.is_(False), Account.deleted_at.is_(None))
                .order_by(Account.id)
            )
            if self._source is not None:
                query = query.where(Account.source == self._source)
            rows: dict[int, AccountRow] = {}
            for chunk in driver_rows(self._session, query, convert=True):
                for values in chunk:
                    rows[values[0]] = AccountRow(*values)
                self.progress(len(chunk))
            self._rows = rows
        return self._rows

    def own(self, rubric: CompiledRubric, account_id: int) -> ScoreResult:
        """The account's score on its own facts, without its deal counts."""
        results = self._own.setdefault(rubric.fingerprint, {})
        result = results.get(account_id)
        if result is None:
            result = results[account_id] = score(self._own_facts(account_id), rubric, self._now)
        return result

    def _own_facts(self, account_id: int) -> AccountFacts:
        facts = self._facts.get(account_id)
        if facts is None:
            facts = self._facts[account_id] = account_facts(self.rows()[account_id], _NO_DEALS)
        return facts

    def as_synced(self, rubric: CompiledRubric) -> Iterator[tuple[AccountRow, ScoreResult]]:
        """Every account with the score a sync would give it now (`prepared`, then `scored`),
        in id order, per source."""
        by_source: dict[str, list[AccountRow]] = {}
        for row in self.rows().values():
            by_source.setdefault(row.source, []).append(row)
        reads_deals = bool(rubric.fields_read & DEAL_FIELDS)
        for source, rows in by_source.items():
            special = [r for r in rows if reads_deals or r.object_type == LEAD]
            synced = dict(self._synced(source, special, rubric)) if special else {}
            for done, row in enumerate(rows, 1):
                result = synced.get(row.id)
                yield row, result if result is not None else self.own(rubric, row.id)
                if done % CHUNK == 0:
                    self.progress(CHUNK)
            self.progress(len(rows) % CHUNK)

    def _synced(
        self, source: str, rows: Sequence[AccountRow], rubric: CompiledRubric
    ) -> Iterator[tuple[int, ScoreResult]]:
        """What `app.sync.rescore.prepared` computes for these rows (without the input
        digest, which only a stored score needs), scored as `scored` does."""
        domains = {r.domain for r in rows if r.object_type == LEAD and r.domain}
        donors: dict[str, Account] = {}
        for account in accounts_by_domains(self._session, source, DONOR, domains):
            donors.setdefault(str(account.domain), account)
        counts = (
            deal_counts(
                self._session,
                source,
                [r.crm_id for r in rows] + [d.crm_id for d in donors.values()],
            )
            if rubric.fields_read & DEAL_FIELDS
            else {}
        )
        for row in rows:
            facts = account_facts(row, counts.get(row.crm_id, _NO_DEALS))
            reason: str | None = None
            if row.object_type == LEAD:
                donor = donors.get(row.domain) if row.domain else None
                donor_deals = counts.get(donor.crm_id, _NO_DEALS) if donor else _NO_DEALS
                facts, reason = with_account_fallback(rubric, facts, donor, donor_deals)
            yield row.id, scored(facts, reason, rubric, self._now)

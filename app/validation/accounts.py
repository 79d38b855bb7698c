"""The live stored accounts that `validate` and `plan` score, read a page at a time.

On a big CRM, reading accounts as ORM objects and scoring each again for every use was most
of these commands' time; holding every account's row, facts and scores at once was most of
their memory (about 8 GiB at a million accounts). Here the columns the scorer reads are
selected (plain rows, no ORM objects) `CHUNK` accounts at a time, in id order; each page is
scored and reduced to what the command keeps (counts, and a few numbers per account), then
dropped. Two scores of an account:

- `own`: the account's own facts without its deal counts, what validation grades (a rubric
  reading `deals_won` would otherwise be graded on the very outcome it predicts); a prospect
  (a lead, a HubSpot contact) completed from its donor as a sync does, without the donor's
  deal counts either (a contact's deals are mostly its company's);
- `as_synced`: the facts a sync scores (`app.sync.rescore.prepared`: deal counts, a prospect
  completed from its donor), what `plan` compares. They are the account's own facts, so
  the same score, unless the rubric reads deal counts or the record is a prospect.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.scoring import AccountFacts, CompiledRubric, ScoreResult, score
from app.semantic.enrich import NO_SEMANTICS, Semantics, semantics_for
from app.store.repo import DealCounts, deal_counts
from app.store.tables import Account
from app.sync.facts import DEAL_FIELDS, PROSPECTS, AccountColumns, account_facts
from app.sync.rescore import donors_of, scored
from app.sync.score_rows import facts_of
from app.validation.driver import driver_rows
from app.validation.populations import ACCOUNTS, Population

if TYPE_CHECKING:
    from app.validation.record_scores import Candidates, RecordScores

Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]
ClosedDeals = tuple[Ints, Bools, Ints]
"""Per closed deal and linked account: account id, won, close day (a date ordinal)."""
Progress = Callable[[int], None]
"""Called with how many more records were read or scored."""
Donors = Mapping[str, Mapping[str, AccountColumns]]
"""Per source: `donor_key` → the record a prospect of a page falls back on (`donors_of`)."""


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
    company_crm_id: str | None


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
    Account.company_crm_id,
)
_NO_DEALS = DealCounts()


def _ignore(_: int) -> None:
    return None


class ScoredAccounts:
    """Every live account (of `source`, if given), read a page at a time. One instance per
    command, shared by its calls: the closed deals are read once, and `plan`'s comparison
    leaves both rubrics' scores of their accounts (a few numbers each) for `outcome_columns`
    to take, so the accounts are read once. Nothing here sees writes made after a read."""

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
        self.populations: dict[str, Population] = {}
        """Per population (`app.validation.populations`): its closed deals, read by
        `app.validation.load` on first use, its candidates and scores."""

    def population(self, name: str) -> Population:
        found = self.populations.get(name)
        if found is None:
            found = self.populations[name] = Population(name)
        return found

    @property
    def closed_deals(self) -> ClosedDeals | None:
        """The accounts' closed deals (contacts' are their population's)."""
        return self.population(ACCOUNTS).closed_deals

    @closed_deals.setter
    def closed_deals(self, deals: ClosedDeals | None) -> None:
        self.population(ACCOUNTS).closed_deals = deals

    @property
    def candidates(self) -> dict[date | None, Candidates]:
        """The accounts of `closed_deals` per `since`, shared by the rubrics' outcomes."""
        return self.population(ACCOUNTS).candidates

    @property
    def record_scores(self) -> dict[tuple[str, date | None], RecordScores]:
        """Per rubric fingerprint and `since`: the accounts' own scores, until taken."""
        return self.population(ACCOUNTS).record_scores

    @property
    def now(self) -> datetime:
        return self._now

    @property
    def source(self) -> str | None:
        return self._source

    def pages(self, only: Ints | None = None) -> Iterator[list[AccountRow]]:
        """The live accounts (the columns of `COLUMNS`) in id order, a page at a time; with
        `only` (sorted ids), just those: the other rows are skipped before their JSON is
        decoded."""
        query = (
            select(*COLUMNS)
            .where(Account.archived.is_(False), Account.deleted_at.is_(None))
            .order_by(Account.id)
        )
        if self._source is not None:
            query = query.where(Account.source == self._source)
        for chunk in driver_rows(self._session, query, convert=True, keep=_kept(only)):
            yield [AccountRow(*values) for values in chunk]
            self.progress(len(chunk))

    def donors(self, rows: Sequence[AccountRow]) -> Donors:
        """The donors of the prospects among `rows`, looked up as a sync looks them up."""
        prospects: dict[str, list[AccountRow]] = {}
        for row in rows:
            if row.object_type in PROSPECTS:
                prospects.setdefault(row.source, []).append(row)
        return {
            source: donors_of(self._session, source, found) for source, found in prospects.items()
        }

    def semantics(
        self, rubric: CompiledRubric, rows: Sequence[AccountRow], donors: Donors
    ) -> Semantics:
        """The enrichment of `rubric`'s semantic rules for `rows` and their `donors`, as a
        sync enriches them: the store's cached embeddings, the rest computed but not kept
        (validation only reads: on SQLite a write would hold the store's lock for the run)."""
        if not rubric.semantic:
            return NO_SEMANTICS
        with_donors = [*rows, *(d for found in donors.values() for d in found.values())]
        facts = [account_facts(row, _NO_DEALS) for row in with_donors]
        return semantics_for(self._session, rubric, facts, self._now, store=False)

    def own(
        self,
        rubric: CompiledRubric,
        row: AccountRow,
        donors: Donors,
        semantics: Semantics = NO_SEMANTICS,
    ) -> ScoreResult:
        """The account's score on its own facts, without deal counts (a prospect's completed
        from its donor among `donors`); `semantics`: the rubric's for the row's page."""
        return score(self.own_facts(row, rubric, donors, semantics), rubric, self._now)

    @staticmethod
    def own_facts(
        row: AccountRow,
        rubric: CompiledRubric,
        donors: Donors,
        semantics: Semantics = NO_SEMANTICS,
    ) -> AccountFacts:
        """The same for every rubric without semantic rules but a prospect's (what it
        borrows is what the rubric reads)."""
        if row.object_type not in PROSPECTS:
            return semantics.enrich(account_facts(row, _NO_DEALS))
        return semantics.resolve(
            facts_of(row, donors.get(row.source, {}), {}, rubric, semantics)[0]
        )

    def as_synced(
        self,
        rows: Sequence[AccountRow],
        rubric: CompiledRubric,
        own: Callable[[int], ScoreResult],
        donors: Donors,
        semantics: Semantics = NO_SEMANTICS,
    ) -> list[ScoreResult]:
        """The score a sync would give each of `rows` now (`prepared`, then `scored`): `own`
        (by position in `rows`) unless the rubric reads deal counts or the row is a prospect.
        `donors`: those of `rows`' prospects."""
        reads_deals = bool(rubric.fields_read & DEAL_FIELDS)
        special: dict[str, list[AccountRow]] = {}
        for row in rows:
            if reads_deals or row.object_type in PROSPECTS:
                special.setdefault(row.source, []).append(row)
        synced: dict[int, ScoreResult] = {}
        for source, found in special.items():
            synced.update(self._synced(source, found, rubric, donors.get(source, {}), semantics))
        return [
            result if (result := synced.get(row.id)) is not None else own(i)
            for i, row in enumerate(rows)
        ]

    def _synced(
        self,
        source: str,
        rows: Sequence[AccountRow],
        rubric: CompiledRubric,
        donors: Mapping[str, AccountColumns],
        semantics: Semantics,
    ) -> Iterator[tuple[int, ScoreResult]]:
        """What `app.sync.rescore.prepared` computes for these rows (without the input
        digest, which only a stored score needs), scored as `scored` does. Per row the same
        whatever rows come with it: a lead's donor is the oldest live account of its domain,
        a contact's its live company."""
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
            facts, reason = facts_of(row, donors, counts, rubric, semantics)
            yield row.id, scored(semantics.resolve(facts), reason, rubric, self._now)


def _kept(only: Ints | None) -> Callable[[Sequence[Sequence[Any]]], list[Any]] | None:
    """The raw rows (their id first) of a chunk that are one of `only`, sorted ids."""
    if only is None:
        return None
    wanted = only

    def kept(chunk: Sequence[Sequence[Any]]) -> list[Any]:
        ids = np.fromiter((row[0] for row in chunk), np.int64, len(chunk))
        at = np.minimum(np.searchsorted(wanted, ids), max(0, len(wanted) - 1))
        hit = (wanted[at] == ids) if len(wanted) else np.zeros(len(ids), np.bool_)
        return [row for row, keep in zip(chunk, hit.tolist(), strict=True) if keep]

    return kept

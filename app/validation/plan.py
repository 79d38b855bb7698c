"""`plan`: what a rubric change would do, before it ships. Every live stored account and lead is
scored in memory by the current rubric (champion) and the new one (challenger), exactly as the
sync would score it; nothing is stored and nothing is written to a CRM. Accounts are read and
scored a page at a time, so a million of them fit in well under a gigabyte: what is kept is
counts, the few largest changes shown, and a few numbers per account with closed deals; the
complete lists into and out of disqualified wait in a temporary file."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.rubric.model import DISQUALIFIED_TIER
from app.scoring import AccountFacts, CompiledRubric, ScoreResult, score
from app.semantic.enrich import Semantics
from app.sync.facts import CONTACT, PROSPECTS, AccountColumns
from app.validation.accounts import AccountRow, Donors, ScoredAccounts
from app.validation.load import candidates
from app.validation.populations import ACCOUNTS, CONTACTS, POPULATIONS
from app.validation.record_scores import Candidates, RecordScores, positions
from app.validation.spool import Spool

INTO, OUT_OF = "into", "out_of"
SHOWN = 50
"""Accounts into (and out of) disqualified listed in the terminal and the HTML report, with
their count; `--json` and `--csv` list every one."""


@dataclass(frozen=True, slots=True)
class Change:
    source: str
    object_type: str
    crm_id: str
    name: str | None
    tier_before: str
    tier_after: str
    score_before: int
    score_after: int
    flags_added: tuple[str, ...]
    flags_removed: tuple[str, ...]
    direction: str | None
    """`into` or `out_of` disqualified when the tier crosses that line, else None."""


@dataclass(frozen=True, slots=True)
class Comparison:
    accounts: int
    transitions: dict[str, dict[str, int]]
    """Tier before → tier after → accounts (every account, unchanged ones on the diagonal)."""
    changed: tuple[Change, ...]
    """Accounts whose tier, score or flags change, the largest score move first: every one,
    or the first `keep` of `compare`."""
    changed_count: int
    """How many accounts change in all."""
    newly_disqualified: Sequence[Change]
    no_longer_disqualified: Sequence[Change]
    """In the order of `changed`, every one, read from a temporary file as they are listed."""
    contacts: Comparison | None = None
    """The same of the HubSpot contacts, counted apart from the accounts above (None: the
    store holds no live contact)."""


def compare(
    session: Session,
    champion: CompiledRubric,
    challenger: CompiledRubric,
    *,
    now: datetime,
    source: str | None = None,
    accounts: ScoredAccounts | None = None,
    keep: int | None = None,
) -> Comparison:
    """Every account scored by both rubrics, a page at a time, the HubSpot contacts counted
    apart (`Comparison.contacts`). `accounts`: shared with the command's other calls (its
    `now` is the one scored with): then the closed deals are read first, and both rubrics'
    own scores of their accounts and contacts are kept on it, in the same pass, for
    `population_columns`. `keep`: how many of the largest changes `changed` holds."""
    shared = accounts is not None
    if accounts is None:
        accounts = ScoredAccounts(session, now=now, source=source)
    filling: list[tuple[int, Candidates, RecordScores]] = []
    for name in POPULATIONS if shared else ():
        found = candidates(session, accounts, None, name)
        population = accounts.population(name)
        for index, rubric in enumerate((champion, challenger)):
            key = (rubric.fingerprint, None)
            if key not in population.record_scores:
                scores = RecordScores(len(found.ids), by_company=population.by_company)
                population.record_scores[key] = scores
                filling.append((index, found, scores))
    tallies = {ACCOUNTS: _Tally(keep), CONTACTS: _Tally(keep)}
    for rows in accounts.pages():
        page = _Page(accounts, rows)
        own = (page.scorer(champion), page.scorer(challenger))
        olds = accounts.as_synced(rows, champion, own[0], page.donors, page.semantics(champion))
        news = accounts.as_synced(rows, challenger, own[1], page.donors, page.semantics(challenger))
        for index, found, scores in filling:
            for i, at in positions(found, rows):
                scores.add(at, rows[i], own[index](i))
        for row, old, new in zip(rows, olds, news, strict=True):
            tallies[CONTACTS if row.object_type == CONTACT else ACCOUNTS].add(row, old, new)
    comparison = tallies[ACCOUNTS].comparison()
    if tallies[CONTACTS].total:
        return replace(comparison, contacts=tallies[CONTACTS].comparison())
    return comparison


class _Page:
    """The own facts and scores of one page of accounts, and the donors of its prospects,
    each made once, when first asked."""

    def __init__(self, accounts: ScoredAccounts, rows: Sequence[AccountRow]) -> None:
        self._accounts, self._rows = accounts, rows
        self._facts: dict[int, AccountFacts] = {}
        self._donors: Donors | None = None
        self._semantics: dict[str, Semantics] = {}

    @property
    def donors(self) -> Donors:
        if self._donors is None:
            self._donors = self._accounts.donors(self._rows)
        return self._donors

    def semantics(self, rubric: CompiledRubric) -> Semantics:
        found = self._semantics.get(rubric.fingerprint)
        if found is None:
            found = self._accounts.semantics(rubric, self._rows, self.donors)
            self._semantics[rubric.fingerprint] = found
        return found

    def scorer(self, rubric: CompiledRubric) -> Callable[[int], ScoreResult]:
        results: dict[int, ScoreResult] = {}

        def own(i: int) -> ScoreResult:
            result = results.get(i)
            if result is None:
                row = self._rows[i]
                shared = row.object_type not in PROSPECTS and not rubric.semantic
                facts = self._facts.get(i) if shared else None
                if facts is None:
                    semantics = self.semantics(rubric)
                    facts = self._accounts.own_facts(row, rubric, self.donors, semantics)
                    if shared:  # the same for every rubric without semantic rules
                        self._facts[i] = facts
                result = results[i] = score(facts, rubric, self._accounts.now)
            return result

        return own


class _Tally:
    """The comparison so far: counts, the largest changes, the lists into and out of
    disqualified (spooled)."""

    def __init__(self, keep: int | None) -> None:
        self.total = 0
        self.count = 0
        self.transitions: Counter[tuple[str, str]] = Counter()
        self.keep = keep
        self.kept: list[Change] = []
        self.spools = {INTO: _spool(), OUT_OF: _spool()}

    def add(self, row: AccountRow, old: ScoreResult, new: ScoreResult) -> None:
        self.total += 1
        self.transitions[(old.tier, new.tier)] += 1
        if (old.tier, old.score, old.flags) == (new.tier, new.score, new.flags):
            return
        change = _change(row, old, new)
        self.count += 1
        self.kept.append(change)
        if self.keep is not None and len(self.kept) >= 2 * self.keep + 10_000:
            self._trim()
        if change.direction is not None:
            self.spools[change.direction].add(change, _order(change))

    def _trim(self) -> None:
        """A stable sort keeps the earlier of equal changes first, as one sort of all would."""
        self.kept.sort(key=_order)
        del self.kept[self.keep :]

    def comparison(self) -> Comparison:
        self.kept.sort(key=_order)
        if self.keep is not None:
            del self.kept[self.keep :]
        matrix: dict[str, dict[str, int]] = defaultdict(dict)
        for (old_tier, new_tier), count in sorted(self.transitions.items()):
            matrix[old_tier][new_tier] = count
        return Comparison(
            accounts=self.total,
            transitions=dict(matrix),
            changed=tuple(self.kept),
            changed_count=self.count,
            newly_disqualified=self.spools[INTO].sorted(),
            no_longer_disqualified=self.spools[OUT_OF].sorted(),
        )


def _order(change: Change) -> tuple[int, str, str]:
    return (-abs(change.score_after - change.score_before), change.source, change.crm_id)


def _spool() -> Spool[Change]:
    return Spool(_encode, _decode)


def _encode(c: Change) -> list[Any]:
    return [
        *(c.source, c.object_type, c.crm_id, c.name, c.tier_before, c.tier_after),
        *(c.score_before, c.score_after, list(c.flags_added), list(c.flags_removed)),
        c.direction,
    ]


def _decode(values: list[Any]) -> Change:
    source, object_type, crm_id, name, tier_before, tier_after, before, after = values[:8]
    return Change(
        source,
        object_type,
        crm_id,
        name,
        tier_before,
        tier_after,
        before,
        after,
        tuple(values[8]),
        tuple(values[9]),
        values[10],
    )


def _change(account: AccountColumns, old: ScoreResult, new: ScoreResult) -> Change:
    return Change(
        source=account.source,
        object_type=account.object_type,
        crm_id=account.crm_id,
        name=account.name,
        tier_before=old.tier,
        tier_after=new.tier,
        score_before=old.score,
        score_after=new.score,
        flags_added=tuple(f for f in new.flags if f not in old.flags),
        flags_removed=tuple(f for f in old.flags if f not in new.flags),
        direction=_direction(old.tier, new.tier),
    )


def _direction(before: str, after: str) -> str | None:
    if after == DISQUALIFIED_TIER != before:
        return INTO
    if before == DISQUALIFIED_TIER != after:
        return OUT_OF
    return None

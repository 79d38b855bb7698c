"""Scores the accounts whose inputs changed, keeps the score history, and records the values
the CRM should now hold (the writeback's desired state)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.scoring import AccountFacts, CompiledRubric, ScoreResult, score
from app.semantic.enrich import NO_SEMANTICS, Semantics, semantics_of
from app.store.repo import accounts_by_domains, contacts_of, deal_counts, live_accounts
from app.store.tables import Account, Score, ScoreHistory, WritebackState
from app.sync import challengers as shadow
from app.sync.challengers import Challenger
from app.sync.facts import (
    COMPANY,
    CONTACT,
    DEAL_FIELDS,
    DONOR,
    LEAD,
    AccountColumns,
    donor_key,
)
from app.sync.score_rows import (
    account_score,
    differs,
    history_values,
    prepare,
    score_values,
)
from app.sync.writeback import mark_desired
from connectors.base import AccountScore

NEW = "new"
Renderer = Callable[[AccountScore], Mapping[str, str]]


@dataclass
class RescoreReport:
    considered: int = 0
    scored: int = 0
    changed: int = 0
    """Accounts whose score, tier or flags changed (a score history row each)."""
    transitions: Counter[tuple[str, str]] = field(default_factory=Counter)
    """(tier before or "new", tier after) → accounts."""
    scored_ids: set[int] = field(default_factory=set)
    """Rows scored by this call (not accumulated by `add`)."""
    shadow_scored: int = 0
    """Challenger scores computed (one per challenger and account whose inputs changed)."""
    shadow_ids: set[int] = field(default_factory=set)
    """Rows some challenger scored in this call (not accumulated by `add`)."""

    def add(self, other: RescoreReport) -> None:
        self.considered += other.considered
        self.scored += other.scored
        self.changed += other.changed
        self.transitions.update(other.transitions)
        self.shadow_scored += other.shadow_scored


def rescore(
    session: Session,
    accounts: Sequence[Account],
    *,
    rubric: CompiledRubric,
    render: Renderer,
    now: datetime,
    challengers: Sequence[Challenger] = (),
) -> RescoreReport:
    """`challengers` are scored too, in shadow: stored apart (app.sync.challengers), never
    rendered for the CRM."""
    report = RescoreReport(considered=len(accounts))
    if not accounts:
        return report
    ids = [a.id for a in accounts]
    scores = {
        s.account_id: s for s in session.scalars(select(Score).where(Score.account_id.in_(ids)))
    }
    states = {
        w.account_id: w
        for w in session.scalars(select(WritebackState).where(WritebackState.account_id.in_(ids)))
    }
    digests = {account_id: score.input_hash for account_id, score in scores.items()}
    items = prepared(session, accounts, rubric)
    for account, facts, reason, digest in to_score(session, items, digests, rubric, now)[0]:
        current = scores.get(account.id)
        result = scored(facts, reason, rubric, now)
        report.scored += 1
        report.scored_ids.add(account.id)
        if current is None or differs(current, result):
            report.changed += 1
            report.transitions[(current.tier if current else NEW, result.tier)] += 1
            session.add(ScoreHistory(**history_values(account.id, result, now)))
        current = _store(session, current, account.id, result, digest, now)
        desired = render(account_score(result, current.scored_at))
        states[account.id] = mark_desired(session, states.get(account.id), account.id, desired, now)
    for challenger in challengers:
        _shadow(session, accounts, challenger, now, report)
    session.flush()
    return report


def _shadow(
    session: Session,
    accounts: Sequence[Account],
    challenger: Challenger,
    now: datetime,
    report: RescoreReport,
) -> None:
    """Scores these accounts with a challenger where its own inputs changed."""
    scores = shadow.current_scores(session, challenger.name, [a.id for a in accounts])
    started = False
    digests = {account_id: score.input_hash for account_id, score in scores.items()}
    items = prepared(session, accounts, challenger.rubric)
    for account, facts, reason, digest in to_score(session, items, digests, challenger.rubric, now)[
        0
    ]:
        current = scores.get(account.id)
        if not started:
            shadow.note_start(session, challenger, now)
            started = True
        result = scored(facts, reason, challenger.rubric, now)
        shadow.store(session, challenger.name, current, account.id, result, digest, now)
        report.shadow_scored += 1
        report.shadow_ids.add(account.id)


def rescore_with_prospects_of(
    session: Session,
    rows: Sequence[Account],
    *,
    rubric: CompiledRubric,
    render: Renderer,
    now: datetime,
    challengers: Sequence[Challenger] = (),
) -> RescoreReport:
    """Rescores these records, then re-checks the prospects that fall back on any of them that
    was rescored (its inputs, prospect-borrowable ones included, changed): the leads at an
    account's domain, a company's contacts."""
    report = rescore(session, rows, rubric=rubric, render=render, now=now, challengers=challengers)
    rescored = [row for row in rows if row.id in report.scored_ids | report.shadow_ids]
    domains = {row.domain for row in rescored if row.object_type == DONOR and row.domain}
    companies = {row.crm_id for row in rescored if row.object_type == COMPANY}
    seen = {row.id for row in rows}
    source = rows[0].source if rows else ""
    prospects = [
        prospect
        for prospect in (
            *accounts_by_domains(session, source, LEAD, domains),
            *contacts_of(session, source, companies),
        )
        if prospect.id not in seen
    ]
    if prospects:
        more = rescore(
            session, prospects, rubric=rubric, render=render, now=now, challengers=challengers
        )
        report.add(more)
        report.scored_ids |= more.scored_ids
        report.shadow_ids |= more.shadow_ids
    return report


def prepared(
    session: Session, accounts: Sequence[Account], rubric: CompiledRubric
) -> Iterator[tuple[Account, AccountFacts, str | None, str]]:
    """Per account (all of one source): the facts the rubric scores (a lead's completed from
    its account), the reason line saying where a lead's company data came from, and the
    digest of the inputs (an account's includes what its leads could borrow)."""
    if not accounts:
        return
    source = accounts[0].source
    donors = donors_of(session, source, accounts)
    counts = (
        deal_counts(
            session,
            source,
            [a.crm_id for a in accounts] + [d.crm_id for d in donors.values()],
        )
        if rubric.fields_read & DEAL_FIELDS
        else {}
    )
    yield from prepare(accounts, donors, counts, rubric, semantics_of(rubric))


class _Stored(Protocol):
    @property
    def id(self) -> int: ...


R = TypeVar("R", bound=_Stored)


def to_score(
    session: Session,
    items: Iterable[tuple[R, AccountFacts, str | None, str]],
    digests: Mapping[int, str | None],
    rubric: CompiledRubric,
    now: datetime,
    *,
    store: bool = True,
) -> tuple[list[tuple[R, AccountFacts, str | None, str]], Semantics]:
    """The prepared records whose digest differs from their stored score's (`digests`, by
    record id), their semantic texts resolved: vectors are read, or embedded and (with
    `store`) kept, for these records alone, so a pass over unchanged texts loads none. Also
    the vectors embedded and not stored (without `store`: the writer's to keep)."""
    todo = [item for item in items if digests.get(item[0].id) != item[3]]
    semantics = semantics_of(rubric)
    if not semantics.specs or not todo:
        return todo, NO_SEMANTICS
    loaded = semantics.loaded(session, [facts for _, facts, _, _ in todo], now, store=store)
    resolved = [(record, loaded.resolve(facts), why, digest) for record, facts, why, digest in todo]
    return resolved, replace(loaded, texts={}, narratives={})


def scored(
    facts: AccountFacts, reason: str | None, rubric: CompiledRubric, now: datetime
) -> ScoreResult:
    """The score of prepared facts, with the provenance line first among its reasons."""
    result = score(facts, rubric, now)
    return result if reason is None else result._replace(reasons=(reason, *result.reasons))


def donors_of(
    session: Session, source: str, accounts: Sequence[AccountColumns]
) -> dict[str, Account]:
    """For the prospects among `accounts`: `donor_key` → the record it falls back on: for a
    lead's domain the oldest live account there (so the choice is stable), for a contact's
    company id that company while it is live."""
    domains = {donor_key(a) for a in accounts if a.object_type == LEAD}
    companies = {donor_key(a) for a in accounts if a.object_type == CONTACT}
    donors: dict[str, Account] = {}
    for account in accounts_by_domains(session, source, DONOR, {d for d in domains if d}):
        donors.setdefault(str(account.domain), account)
    for company in live_accounts(session, source, COMPANY, {c for c in companies if c}):
        donors[company.crm_id] = company
    return donors


def _store(
    session: Session,
    current: Score | None,
    account_id: int,
    result: ScoreResult,
    digest: str,
    now: datetime,
) -> Score:
    """`scored_at` moves only when the score's content changes, so re-scoring to the same
    result renders the same CRM values and writes nothing."""
    if current is None:
        current = Score(account_id=account_id, scored_at=now)
        session.add(current)
    elif differs(current, result):
        current.scored_at = now
    for column, value in score_values(result, digest).items():
        setattr(current, column, value)
    return current

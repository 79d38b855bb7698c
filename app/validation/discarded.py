"""What a rubric change's new disqualifiers would have thrown away: the closed-won deals (and
their amounts) of the accounts that `plan` finds newly disqualified.

A newly disqualified account had no disqualifier before (any one makes the tier
`disqualified`), so every flag it now carries is a new one and the account counts under each.
A deal counts once per flag however many of that flag's accounts it is linked to, and once in
the total however many flags hit it: the per-flag rows may add up to more than the total.
A won deal without an amount counts as a deal and adds nothing to the revenue; how many there
were is reported, so a revenue of 0 is never mistaken for "no money at stake".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.store.tables import Deal, DealAccount
from app.validation.plan import Change

AccountKey = tuple[str, str]
"""(source, CRM id): how a deal is linked to an account (`deal_accounts`)."""
WonDeal = tuple[AccountKey, int, Decimal | None]
"""(account, deal id, amount) for one closed-won deal linked to that account."""

CHUNK = 500
"""CRM ids per query: far below SQLite's bound-parameter limit."""


@dataclass(frozen=True, slots=True)
class Discarded:
    """Won deals thrown away by one flag (``flag``) or by all of them (``flag`` None)."""

    flag: str | None
    accounts: int
    won_deals: int
    revenue: Decimal
    won_deals_without_amount: int


@dataclass(frozen=True, slots=True)
class DiscardedWon:
    total: Discarded
    by_flag: tuple[Discarded, ...]
    """One row per new flag, the most won deals first."""


def discarded_won(session: Session, newly_disqualified: Sequence[Change]) -> DiscardedWon:
    """The closed-won, live deals linked to these accounts, tallied per new flag and in all."""
    flags = {(c.source, c.crm_id): c.flags_added for c in newly_disqualified}
    return tally(flags, won_deals(session, flags))


def won_deals(session: Session, accounts: Iterable[AccountKey]) -> Iterator[WonDeal]:
    by_source: dict[str, list[str]] = defaultdict(list)
    for source, crm_id in sorted(set(accounts)):
        by_source[source].append(crm_id)
    for source, crm_ids in by_source.items():
        for start in range(0, len(crm_ids), CHUNK):
            query = (
                select(DealAccount.account_crm_id, Deal.id, Deal.amount)
                .join(Deal, Deal.id == DealAccount.deal_id)
                .where(
                    Deal.source == source,
                    Deal.is_closed.is_(True),
                    Deal.is_won.is_(True),
                    Deal.archived.is_(False),
                    DealAccount.account_crm_id.in_(crm_ids[start : start + CHUNK]),
                )
                .order_by(Deal.id, DealAccount.account_crm_id)
            )
            for crm_id, deal_id, amount in session.execute(query):
                yield (source, crm_id), deal_id, amount


def tally(flags: Mapping[AccountKey, Sequence[str]], deals: Iterable[WonDeal]) -> DiscardedWon:
    """Pure: per flag of ``flags`` (account → its new flags) and in total, the distinct won
    deals of ``deals`` linked to an account holding it, and their amounts."""
    amounts: dict[int, Decimal | None] = {}
    deals_by_flag: dict[str, set[int]] = defaultdict(set)
    all_deals: set[int] = set()
    for account, deal_id, amount in deals:
        if account not in flags:
            continue
        amounts[deal_id] = amount
        all_deals.add(deal_id)
        for flag in flags[account]:
            deals_by_flag[flag].add(deal_id)
    accounts_by_flag: dict[str, int] = defaultdict(int)
    for account_flags in flags.values():
        for flag in dict.fromkeys(account_flags):
            accounts_by_flag[flag] += 1

    def row(flag: str | None, accounts: int, ids: set[int]) -> Discarded:
        known = [amount for i in ids if (amount := amounts[i]) is not None]
        return Discarded(
            flag=flag,
            accounts=accounts,
            won_deals=len(ids),
            revenue=sum(known, Decimal(0)),
            won_deals_without_amount=len(ids) - len(known),
        )

    by_flag = [row(f, n, deals_by_flag[f]) for f, n in accounts_by_flag.items()]
    by_flag.sort(key=lambda r: (-r.won_deals, -r.revenue, r.flag or ""))
    return DiscardedWon(total=row(None, len(flags), all_deals), by_flag=tuple(by_flag))

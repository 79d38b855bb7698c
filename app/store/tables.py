"""The canonical records: SQLAlchemy 2.0 typed tables, the source of every migration.

Timestamps are `UTCDateTime` (tz-aware UTC in, tz-aware UTC out) and are always supplied by
the caller, never defaulted from the clock here, so pipeline code can pass its own `now`.
Free text copied from a CRM is `Text` (no length a CRM could exceed); identifiers and our own
enumerations are bounded strings.

Tables with a module of their own register on the same `Base` (app.store.base); they are
imported at the end, so importing this module gives the whole schema (`Base.metadata`).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import Mapped, mapped_column

from app.inbox.events import DONE, event_identity
from app.store.base import Base as Base
from app.store.partial import only_where_not
from app.store.types import JSONDocument, UTCDateTime

Money = Numeric(20, 2)


WRITTEN = "written"
"""A write the CRM holds (app.sync.writeback): the rows a claim never wants."""


def _account_fk() -> ForeignKey:
    return ForeignKey("accounts.id", ondelete="CASCADE")


class Account(Base):
    """A HubSpot company or contact, a Salesforce account or lead: every record icp-sync scores."""

    __tablename__ = "accounts"
    __table_args__ = (
        UniqueConstraint("source", "object_type", "crm_id"),
        # Look-ups by CRM id name no object type; the unique key cannot serve them.
        Index(None, "source", "crm_id"),
        # A company's contacts, rescored when what they borrow from it changes.
        Index(None, "source", "company_crm_id"),
        Index(None, "id", "archived", "deleted_at", "source", "object_type"),  # see 0016
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(32))  # hubspot | salesforce | file
    object_type: Mapped[str] = mapped_column(String(16))  # company | account | lead
    crm_id: Mapped[str] = mapped_column(String(64))

    name: Mapped[str | None] = mapped_column(Text, index=True)
    # Normalised: lower-case, no scheme, no "www.".
    domain: Mapped[str | None] = mapped_column(String(255), index=True)
    industry: Mapped[str | None] = mapped_column(Text)
    employees: Mapped[int | None] = mapped_column(Integer)
    annual_revenue: Mapped[Decimal | None] = mapped_column(Money)
    country: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str | None] = mapped_column(Text)
    technologies: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    # Every raw CRM property pulled, so a rubric may reference any of them.
    properties: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    email: Mapped[str | None] = mapped_column(String(320))  # leads and contacts only
    title: Mapped[str | None] = mapped_column(Text)  # leads and contacts only
    company_crm_id: Mapped[str | None] = mapped_column(String(64))
    """A HubSpot contact's primary company: the record its company-level facts come from."""

    crm_created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    crm_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    archived: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Deal(Base):
    """A HubSpot deal or a Salesforce opportunity."""

    __tablename__ = "deals"
    __table_args__ = (UniqueConstraint("source", "crm_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    crm_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(Text)
    stage: Mapped[str | None] = mapped_column(String(255))
    pipeline: Mapped[str | None] = mapped_column(String(255))
    is_closed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    is_won: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    amount: Mapped[Decimal | None] = mapped_column(Money)
    close_date: Mapped[date | None] = mapped_column(Date)
    crm_created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    crm_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    properties: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    archived: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DealAccount(Base):
    """A deal's link to an account, kept by CRM id: a deal may be pulled before its company.

    Join to `accounts` on (deals.source, account_crm_id) = (accounts.source, accounts.crm_id).
    """

    __tablename__ = "deal_accounts"

    deal_id: Mapped[int] = mapped_column(
        ForeignKey("deals.id", ondelete="CASCADE"), primary_key=True
    )
    account_crm_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class DealContact(Base):
    """A deal's link to a contact (HubSpot), kept by CRM id apart from `deal_accounts`: HubSpot
    ids are unique per object type only, so a contact may share its id with a company."""

    __tablename__ = "deal_contacts"

    deal_id: Mapped[int] = mapped_column(
        ForeignKey("deals.id", ondelete="CASCADE"), primary_key=True
    )
    contact_crm_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class Score(Base):
    """The current score of an account."""

    __tablename__ = "scores"

    account_id: Mapped[int] = mapped_column(_account_fk(), primary_key=True)
    score: Mapped[int] = mapped_column(Integer, index=True)
    tier: Mapped[str] = mapped_column(String(32), index=True)
    disqualified: Mapped[bool] = mapped_column(Boolean)
    flags: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    reasons: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    criteria: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    rubric_version: Mapped[str] = mapped_column(String(64), index=True)
    # Hash of the facts that were scored: an unchanged hash (and rubric) skips rescoring.
    input_hash: Mapped[str] = mapped_column(String(64))
    scored_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ScoreHistory(Base):
    """Append-only: a row only when an account's score, tier or flags change."""

    __tablename__ = "score_history"
    __table_args__ = (Index(None, "account_id", "scored_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(_account_fk())
    score: Mapped[int] = mapped_column(Integer)
    tier: Mapped[str] = mapped_column(String(32))
    disqualified: Mapped[bool] = mapped_column(Boolean)
    flags: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    reasons: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    rubric_version: Mapped[str] = mapped_column(String(64))
    scored_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class WritebackState(Base):
    """What was last written to the CRM for an account, and whether it is still owed."""

    __tablename__ = "writeback_state"
    __table_args__ = (
        Index(None, "status", "next_attempt_at"),
        # The writes owed (and failed ones awaiting their retry), in account order: a claim
        # reads only these, however many are written (app.store.partial).
        Index("ix_writeback_state_owed", "account_id", **only_where_not("status", WRITTEN)),
    )

    account_id: Mapped[int] = mapped_column(_account_fk(), primary_key=True)
    values: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    values_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # pending | sending | written | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    last_error: Mapped[str | None] = mapped_column(Text)
    written_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    """The writer sending this record now (see app.sync.writeback.claim), or None."""
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SyncState(Base):
    """Per source and object type: the incremental cursor and the last run's outcome."""

    __tablename__ = "sync_state"

    source: Mapped[str] = mapped_column(String(32), primary_key=True)
    object_type: Mapped[str] = mapped_column(String(16), primary_key=True)
    # Cursor = (modified time, CRM id) so records sharing a timestamp are not skipped.
    cursor_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cursor_id: Mapped[str | None] = mapped_column(String(64))
    full_sync_completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A full pull of this stream under way (a run was cut short): when its first run began
    # (what no run of it returned since is deleted) and where it goes on (the connector's
    # token, opaque here). Both None once it completes.
    full_pull_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    full_pull_resume: Mapped[str | None] = mapped_column(Text)
    last_run_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_run_finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status: Mapped[str | None] = mapped_column(String(16))
    last_error: Mapped[str | None] = mapped_column(Text)
    stats: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)


class SyncHealth(Base):
    """Per source and stream (accounts, leads, deals, writeback): how its syncs have been
    going, for `/metrics`, `/healthz/sync` and `icp-sync status` in any process. The error is
    its type and a message scrubbed of secrets (app.sync.health), never a raw exception."""

    __tablename__ = "sync_health"

    source: Mapped[str] = mapped_column(String(32), primary_key=True)
    stream: Mapped[str] = mapped_column(String(16), primary_key=True)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    last_error_type: Mapped[str | None] = mapped_column(String(128))
    last_error: Mapped[str | None] = mapped_column(Text)


def _event_identity(context: DefaultExecutionContext) -> str:
    """An ORM insert that names no identity gets the one its columns imply (tests, ops)."""
    row: dict[str, Any] = context.get_current_parameters()  # type: ignore[no-untyped-call]
    return event_identity(
        row["source"],
        row["event_id"],
        row["event_type"],
        row["object_type"],
        row["object_id"],
        row.get("payload") or {},
    )


class WebhookEvent(Base):
    """The durable inbox: an event is stored before the webhook is answered, once per identity
    (`app.inbox.events.event_identity`: what makes it distinct, not the CRM's event id alone)."""

    __tablename__ = "webhook_events"
    __table_args__ = (
        UniqueConstraint("source", "identity"),
        Index(None, "status", "next_attempt_at"),
        # The claim's per-record order check looks up earlier events of the same record.
        Index(None, "source", "object_type", "object_id", "id"),
        # Retention finds the events processed before its cutoff without a scan.
        Index(None, "status", "processed_at"),
        # The events not processed yet (and dead ones), in id order: the claim reads only
        # these, however many processed events retention keeps (app.store.partial).
        Index("ix_webhook_events_unprocessed", "id", **only_where_not("status", DONE)),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    event_id: Mapped[str] = mapped_column(String(128))
    identity: Mapped[str] = mapped_column(String(64), default=_event_identity)
    event_type: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(64))  # the record's CRM id
    payload: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    # pending | processing | done | dead
    status: Mapped[str] = mapped_column(
        String(16), default="pending", server_default=text("'pending'")
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SchemaCompatibility(Base):
    """One row: the oldest code revision (the migration head an icp-sync release ships with)
    that still runs on this schema. Expand migrations leave it alone; a contract migration
    raises it. See app.store.compat."""

    __tablename__ = "schema_compatibility"

    oldest_code_revision: Mapped[str] = mapped_column(String(32), primary_key=True)


class RubricChampion(Base):
    """Append-only: each promotion of a rubric (by name: its file's stem in the rubric
    directory) to champion. The latest row is the champion every replica scores with
    (app.rubric.registry); none yet means the settings choose."""

    __tablename__ = "rubric_champions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    promoted_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ChallengerStart(Base):
    """When a challenger rubric (by name) first scored an account with this content: the
    comparison with the champion counts only deals closed after it. Editing the file restarts
    it (another fingerprint)."""

    __tablename__ = "challenger_starts"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    rubric_version: Mapped[str] = mapped_column(String(64))
    first_scored_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ChallengerScore(Base):
    """A challenger's current score of an account (shadow: never written to a CRM)."""

    __tablename__ = "challenger_scores"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    account_id: Mapped[int] = mapped_column(_account_fk(), primary_key=True, index=True)
    score: Mapped[int] = mapped_column(Integer)
    tier: Mapped[str] = mapped_column(String(32))
    disqualified: Mapped[bool] = mapped_column(Boolean)
    flags: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    reasons: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    criteria: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    rubric_version: Mapped[str] = mapped_column(String(64))
    input_hash: Mapped[str] = mapped_column(String(64))
    scored_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ChallengerScoreHistory(Base):
    """Append-only: a row when a challenger's score, tier or flags of an account change."""

    __tablename__ = "challenger_score_history"
    __table_args__ = (Index(None, "name", "account_id", "scored_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    account_id: Mapped[int] = mapped_column(_account_fk(), index=True)
    score: Mapped[int] = mapped_column(Integer)
    tier: Mapped[str] = mapped_column(String(32))
    disqualified: Mapped[bool] = mapped_column(Boolean)
    flags: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    reasons: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    rubric_version: Mapped[str] = mapped_column(String(64))
    scored_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RubricRollout(Base):
    """Per CRM: the rubric whose scores the store and the CRM hold, recorded when a roll-out
    (app.sync.rollout) completes. `serve` compares its rubric's fingerprint with it at start."""

    __tablename__ = "rubric_rollouts"

    source: Mapped[str] = mapped_column(String(32), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    rubric_version: Mapped[str] = mapped_column(String(64))
    """The written version (app.scoring.compiled.written_version)."""
    accounts: Mapped[int] = mapped_column(Integer)
    """Live accounts and leads the roll-out left on this rubric."""
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TextEmbedding(Base):
    """The sentence embeddings of one text (app.semantic): per model version and SHA-256 of the
    text, at most `MAX_SENTENCES` float16 vectors (4 KB at most). Records with the same text
    share a row; a text that changes gets a new one. Rows of another model version are deleted
    when the model changes (app.semantic.cache.prune)."""

    __tablename__ = "text_embeddings"

    model_version: Mapped[str] = mapped_column(String(64), primary_key=True)
    text_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    sentences: Mapped[int] = mapped_column(Integer)
    vectors: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


from app.store import tables_runs  # noqa: E402, F401  (registers its tables)

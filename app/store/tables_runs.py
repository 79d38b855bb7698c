"""The stored runs of `validate` and `plan`: each run's figures and verdicts as the JSON the
command prints (a plan's lists of accounts cut to `app.validation.runs.KEPT`, with their
counts), read by the dashboard. Registered on `Base.metadata` by app.store.tables, which
imports this module at its end."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.store.base import Base
from app.store.types import JSONDocument, UTCDateTime


class ValidationRun(Base):
    """One `validate` or `plan` run, from the command line or `serve`'s nightly job."""

    __tablename__ = "validation_runs"
    __table_args__ = (Index(None, "kind", "finished_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # validate | plan
    trigger: Mapped[str] = mapped_column(String(16))  # cli | nightly
    rubric_name: Mapped[str | None] = mapped_column(String(128))
    """The rubric's name in the rubric directory (a plan's champion), when it has one."""
    rubric_version: Mapped[str] = mapped_column(String(64))
    challenger_name: Mapped[str | None] = mapped_column(String(128))
    challenger_version: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str | None] = mapped_column(String(32))
    """`--source`: only this CRM's records; None for all."""
    since: Mapped[date | None] = mapped_column(Date)
    """`validate --since`: only deals closed on or after it; None for all."""
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime)
    report: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)

"""What the inbox worker tells an operator at INFO: one line per batch it works on, none for
an idle pass (ten a second)."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy.orm import Session, sessionmaker

from app.crm import hubspot_connector
from app.inbox.worker import Worker
from app.rubric import Rubric
from app.scoring import compile_rubric
from crm_sandbox.sandbox import RunningSandbox
from tests.support.inbox import company_change, put


def test_given_a_batch_of_echoes_when_processed_then_one_info_line_counts_it(
    sandbox: RunningSandbox,
    sessions: sessionmaker[Session],
    rubric: Rubric,
    caplog: pytest.LogCaptureFixture,
) -> None:
    company = sandbox.hubspot.company_ids()[0]
    put(
        sessions,
        company_change("echo-1", company, propertyName="icp_tier", changeSource="INTEGRATION"),
        company_change("echo-2", company, propertyName="icp_fit_score"),
    )
    caplog.set_level(logging.INFO, logger="app.inbox.worker")
    with hubspot_connector(sandbox.hubspot_url, sandbox.hubspot_token, rubric) as connector:
        worker = Worker(sessions, {"hubspot": connector}, compile_rubric(rubric))
        worker.run_once()
        worker.run_once()  # idle: nothing claimed, nothing logged

    lines = [r for r in caplog.records if r.getMessage().startswith("inbox batch:")]
    assert len(lines) == 1
    assert lines[0].levelno == logging.INFO
    assert (
        lines[0]
        .getMessage()
        .startswith(
            "inbox batch: 2 events, 2 echoes dropped, 0 records scored, 0 written, "
            "0 writes failed, 0 events failed (0 dead), 0 waiting, in "
        )
    )
    assert "\n" not in lines[0].getMessage()

"""Fixtures of the worker tests: a sandbox of 30 HubSpot companies (Salesforce on a free
port) and the default rubric."""

from __future__ import annotations

import pytest

from app.rubric import Rubric, load_rubric
from crm_sandbox.pytest_plugin import SandboxFactory
from crm_sandbox.sandbox import RunningSandbox


@pytest.fixture
def sandbox(start_crm_sandbox: SandboxFactory) -> RunningSandbox:
    return start_crm_sandbox(seed=13, companies=30, salesforce_port=0)


@pytest.fixture
def rubric() -> Rubric:
    return load_rubric()

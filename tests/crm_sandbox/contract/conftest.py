"""One sandbox for the contract cases (HubSpot and a Salesforce org beside it), with every
default as the real CRMs behave: the cases check what a connector gets on a first install."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crm_sandbox import RunningSandbox
from crm_sandbox.pytest_plugin import SandboxFactory

AS_OF = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture(scope="session")
def contract_sandbox(start_shared_crm_sandbox: SandboxFactory) -> RunningSandbox:
    # 120 companies: about 240 Opportunities, more than one 200-record query batch.
    return start_shared_crm_sandbox(seed=14, companies=120, as_of=AS_OF, salesforce_port=0)

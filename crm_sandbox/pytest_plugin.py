"""The sandbox's pytest plugin: one factory fixture, the one way a test gets a sandbox CRM.

    pytest_plugins = ["crm_sandbox.pytest_plugin"]  # in the top conftest.py

    def test_something(start_crm_sandbox: SandboxFactory) -> None:
        sandbox = start_crm_sandbox(seed=5, companies=30, salesforce_port=0)
        org = start_crm_sandbox.salesforce_only(seed=5, companies=30, page_size=10)

`start_crm_sandbox(...)` takes `start_sandbox`'s options and returns its `RunningSandbox`;
`start_crm_sandbox.salesforce_only(...)` takes `start_salesforce_sandbox`'s and returns the org
alone, for tests of the Salesforce side that need no HubSpot beside it. Everything a test started
is stopped when it ends (stopping one earlier, e.g. with `with`, is fine).

`start_shared_crm_sandbox` is the same factory for the whole session: a sandbox that a module's
or the session's tests share is a fixture over it. A module's one should stop its sandbox when
the module ends (`with start_shared_crm_sandbox(...) as running: yield running`); whatever is
still running stops when the session ends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Concatenate, ParamSpec, Protocol, TypeVar

import pytest

from crm_sandbox.salesforce.server import start_salesforce_sandbox
from crm_sandbox.sandbox import start_sandbox


class _Stoppable(Protocol):
    def stop(self) -> None: ...


Options = ParamSpec("Options")
Started = TypeVar("Started", bound=_Stoppable)


def _tracked(
    start: Callable[Options, Started],
) -> Callable[Concatenate[SandboxFactory, Options], Started]:
    """`start` with `start`'s own signature, as a method that remembers what it started."""

    def start_tracked(
        factory: SandboxFactory, /, *args: Options.args, **kwargs: Options.kwargs
    ) -> Started:
        running = start(*args, **kwargs)
        factory.started.append(running)
        return running

    return start_tracked


class SandboxFactory:
    """Starts sandboxes and stops them all at the end of its fixture's scope."""

    __call__ = _tracked(start_sandbox)
    salesforce_only = _tracked(start_salesforce_sandbox)

    def __init__(self) -> None:
        self.started: list[_Stoppable] = []

    def stop_all(self) -> None:
        while self.started:
            self.started.pop().stop()


@pytest.fixture
def start_crm_sandbox() -> Iterator[SandboxFactory]:
    """Starts sandboxes for one test (see the module's docstring)."""
    factory = SandboxFactory()
    yield factory
    factory.stop_all()


@pytest.fixture(scope="session")
def start_shared_crm_sandbox() -> Iterator[SandboxFactory]:
    """Starts sandboxes that several tests share (see the module's docstring)."""
    factory = SandboxFactory()
    yield factory
    factory.stop_all()

"""simple-salesforce as the sandbox tests drive it, with the types the library leaves loose: it
types `sf.<Object>` as a union with its bulk handlers, and an error's parsed JSON `content` as
bytes."""

from __future__ import annotations

from typing import Any

from simple_salesforce.api import Salesforce, SFType
from simple_salesforce.exceptions import SalesforceError


class TypedSalesforce(Salesforce):
    """`sf.Account`, `sf.Lead`, …: the `SFType` simple-salesforce returns for every name but
    `bulk` and `bulk2`, which these tests do not use."""

    def __getattr__(self, name: str) -> SFType:
        handle = super().__getattr__(name)
        assert isinstance(handle, SFType), f"sf.{name} is a bulk handler, not an sObject type"
        return handle


def error_list(error: SalesforceError) -> list[dict[str, Any]]:
    """The REST API's error list, which simple-salesforce keeps parsed in `content`."""
    content: object = error.content
    assert isinstance(content, list), content
    return content

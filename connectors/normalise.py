"""Small, CRM-agnostic value normalisers the connectors share (connectors never import `app`).

`normalise_domain` is the one domain rule: the mappers store it and `app.scoring.parse`
re-exports it, so the store and the scorer cannot disagree on what a domain is.
"""

from __future__ import annotations

import re
from functools import lru_cache

MAX_DOMAIN_INPUT = 200
MAX_DOMAIN_LENGTH = 253  # DNS; also within the store's 255-character column
_CLEAN_DOMAIN = re.compile(r"[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?")
_is_clean = _CLEAN_DOMAIN.fullmatch


def normalise_domain(value: str) -> str | None:
    """A bare lower-case domain from a domain, URL or e-mail address (`https://www.Acme.com/x`
    → `acme.com`); None if it is not one.

    Most values already are a bare domain, and unique: those are returned as they are, without
    the cache, which only pays for the text that needs work (URLs, e-mails, upper case)."""
    if (
        len(value) <= MAX_DOMAIN_LENGTH
        and _is_clean(value) is not None
        and "." in value
        and ".." not in value
        and ".-" not in value
        and "-." not in value
        and not value.startswith("www.")
    ):
        return value
    return _normalise_text(value)


@lru_cache(maxsize=8192)
def _normalise_text(value: str) -> str | None:
    """The whole rule; `normalise_domain` answers its commonest case without calling it."""
    if len(value) > MAX_DOMAIN_LENGTH:
        return None
    if _CLEAN_DOMAIN.fullmatch(value) and _valid_labels(value) and not value.startswith("www."):
        return value
    text = value.strip().lower()
    if len(text) > MAX_DOMAIN_INPUT:
        return None
    if "@" in text:
        text = text.rsplit("@", 1)[1]
    text = text.split("://", 1)[-1]
    text = re.split(r"[/?#:]", text, maxsplit=1)[0].strip(".")
    text = text.removeprefix("www.")
    return text if _CLEAN_DOMAIN.fullmatch(text) and _valid_labels(text) else None


def _valid_labels(domain: str) -> bool:
    """At least two labels, none empty, none starting or ending with `-`."""
    return "." in domain and ".." not in domain and ".-" not in domain and "-." not in domain

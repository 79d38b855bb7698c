"""The Salesforce REST API as plain JSON, through `simple-salesforce` on one requests session.

Every call goes through `SalesforceClient._call`, which
- gets a token first when there is none (`connectors.salesforce.auth`), and on a 401
  (`INVALID_SESSION_ID`: the session expired or was revoked) gets a new one and sends the call
  once more; a second 401 is an `AuthError`. simple-salesforce cannot refresh a session it was
  handed (`session_id=`), so this is the one place that does;
- counts every HTTP request in `ApiStats.calls`: token requests, each attempt, each
  `query_more` page (that is what the org's daily limit counts);
- turns simple-salesforce's exceptions and requests' failures into the connector error tree
  (`translate`), with every secret and token scrubbed from the message;
- runs under the shared tenacity policy (`connectors.retry`): 5xx, timeouts, dropped
  connections and transient codes (`UNABLE_TO_LOCK_ROW`) are retried; the daily limit
  (`REQUEST_LIMIT_EXCEEDED`) never is.

The session has `trust_env = False`: otherwise `REQUESTS_CA_BUNDLE` from the environment
overrides `session.verify` (the CA bundle given for a private CA, e.g. the sandbox's).
A response hook keeps the last `Sforce-Limit-Info` header of any response, errors included
(simple-salesforce parses it only on success), for `api_usage`.
"""

from __future__ import annotations

import logging
import re
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

import requests
from simple_salesforce.api import Salesforce
from simple_salesforce.exceptions import SalesforceError, SalesforceExpiredSession

from connectors.errors import (
    MAX_MESSAGE,
    AuthError,
    ConnectorError,
    NetworkError,
    PropertyProblem,
    QuotaExhaustedError,
    RateLimitedError,
    RejectedError,
    RetryableError,
)
from connectors.retry import Retrier
from connectors.salesforce.auth import Grant, Token, request_token
from connectors.salesforce.soql import identifier, record_id

logger = logging.getLogger(__name__)

T = TypeVar("T")
Json = dict[str, Any]
Timeout = float | tuple[float, float]
DEFAULT_TIMEOUT: Timeout = (10.0, 120.0)
"""(connect, read) seconds: a first query page may take Salesforce a minute or more."""
DEFAULT_API_VERSION = "62.0"
QUERY_BATCH_SIZE = 2000
REDACTED = "[redacted]"
MIN_SECRET_LENGTH = 4
KEPT_TOKENS = 16
"""Tokens issued to this client that `_redact` still scrubs (an old one may be echoed back)."""
TRANSIENT_CODES = frozenset(
    {
        "UNABLE_TO_LOCK_ROW",
        "SERVER_UNAVAILABLE",
        "REQUEST_RUNNING_TOO_LONG",
        "QUERY_TIMEOUT",
    }
)
"""Error codes a later attempt may not get (a row lock held by another transaction, a busy
server); the rest of a 400 is about the request itself."""
CONCURRENT_LIMIT = re.compile(r"Concurrent", re.IGNORECASE)
_USAGE = re.compile(r"api-usage=(\d+)/(\d+)")


@dataclass(frozen=True, slots=True)
class ApiUsage:
    """The org's rolling 24-hour API request count, from `Sforce-Limit-Info`."""

    used: int
    limit: int

    def __str__(self) -> str:
        return f"api-usage={self.used}/{self.limit}"


class SalesforceClient:
    """One org (login URL + grant). Not thread-safe: give each worker its own client."""

    def __init__(
        self,
        login_url: str,
        grant: Grant,
        *,
        retrier: Retrier,
        timeout: Timeout = DEFAULT_TIMEOUT,
        api_version: str = DEFAULT_API_VERSION,
        ca_bundle: str | None = None,
    ) -> None:
        if not re.fullmatch(r"\d{2,3}\.\d", api_version):
            raise ValueError(f"api_version must look like 62.0, got {api_version!r}")
        self._login_url = login_url.rstrip("/")
        self._grant = grant
        self._timeout = timeout
        self._api_version = api_version
        self.retrier = retrier
        self.stats = retrier.stats
        self._session = requests.Session()
        self._session.trust_env = False
        self._session.verify = ca_bundle or True
        self._session.hooks["response"].append(self._observe)
        self._sf: Salesforce | None = None
        self._secrets = tuple(s for s in grant.secrets() if len(s) >= MIN_SECRET_LENGTH)
        self._tokens: deque[str] = deque(maxlen=KEPT_TOKENS)
        self._limit_info: str | None = None
        self.user_id: str | None = None
        """The integration user's id, known after the first token (`Token.user_id`)."""

    def __repr__(self) -> str:
        return f"SalesforceClient(login_url={self._login_url!r}, flow={self._grant.flow!r})"

    def close(self) -> None:
        self._session.close()

    @property
    def api_usage(self) -> ApiUsage | None:
        """The last `Sforce-Limit-Info` usage any response carried; None before the first."""
        found = _USAGE.search(self._limit_info or "")
        return ApiUsage(int(found.group(1)), int(found.group(2))) if found else None

    # -- queries ---------------------------------------------------------------------------

    def query(self, soql: str, *, include_deleted: bool = False) -> Json:
        """`GET query/?q=` (`queryAll/` with `include_deleted`): the first batch, with
        `nextRecordsUrl` when more follow."""
        name = "queryAll" if include_deleted else "query"
        headers = {"Sforce-Query-Options": f"batchSize={QUERY_BATCH_SIZE}"}
        return _object(
            name,
            self._call(
                name,
                lambda sf: sf.query(
                    soql, include_deleted=include_deleted, headers=headers, timeout=self._timeout
                ),
            ),
        )

    def query_more(self, next_records_url: str) -> Json:
        """The batch at `nextRecordsUrl` (a path on the instance, as Salesforce gives it)."""
        if not next_records_url.startswith("/services/data/"):
            raise ConnectorError("query_more: Salesforce sent a nextRecordsUrl that is no path")
        return _object(
            "query_more",
            self._call(
                "query_more",
                lambda sf: sf.query_more(
                    next_records_url, identifier_is_url=True, timeout=self._timeout
                ),
            ),
        )

    def connect(self) -> None:
        """Requests a token now (when there is none), so a refused grant shows up on its own."""
        self.retrier.call("oauth2/token", self._connection)

    def describe(self, object_name: str) -> Json:
        """`GET sobjects/{Object}/describe`: the fields this user can see, with types."""
        path = f"sobjects/{identifier(object_name)}/describe"
        return _object(
            path, self._call(f"{object_name}.describe", lambda sf: sf.restful(path, **self._kw()))
        )

    # -- writes ----------------------------------------------------------------------------

    def update_collection(
        self, records: Sequence[Mapping[str, Any]], *, auto_assign: bool
    ) -> list[Any]:
        """`PATCH composite/sobjects` (≤200 records, `allOrNone: false`): one result per record,
        in order. `Sforce-Auto-Assign` says whether Lead assignment rules may run."""
        body = {"allOrNone": False, "records": [dict(record) for record in records]}
        result = self._call(
            "composite/sobjects.update",
            lambda sf: sf.restful(
                "composite/sobjects",
                method="PATCH",
                json=body,
                headers=_assign_header(auto_assign),
                **self._kw(),
            ),
        )
        if not isinstance(result, list):
            raise ConnectorError(
                "composite/sobjects.update: Salesforce answered with no result list"
            )
        return result

    def update_record(
        self, object_name: str, crm_id: str, values: Mapping[str, Any], *, auto_assign: bool
    ) -> None:
        """`PATCH sobjects/{Object}/{id}` → 204."""
        checked = record_id(crm_id)
        if checked is None:
            raise ValueError(f"not a Salesforce record id: {crm_id!r}")
        path = f"sobjects/{identifier(object_name)}/{checked}"
        self._call(
            f"{object_name}.update",
            lambda sf: sf.restful(
                path,
                method="PATCH",
                json=dict(values),
                headers=_assign_header(auto_assign),
                **self._kw(),
            ),
        )

    def create_custom_field(self, full_name: str, metadata: Mapping[str, Any]) -> Json:
        """`POST tooling/sobjects/CustomField` with `{"FullName": "Lead.X__c", "Metadata": …}`."""
        body = {"FullName": full_name, "Metadata": dict(metadata)}
        return self.rest("tooling.CustomField.create", "tooling/sobjects/CustomField", "POST", body)

    def rest(
        self, operation: str, path: str, method: str = "GET", body: Mapping[str, Any] | None = None
    ) -> Json:
        """Another call under `/services/data/vNN.N/` (`tooling/…` for the Tooling API): its
        JSON object, or {} for a 204. `GET` sends `body` as the query string."""
        key = "params" if method == "GET" else "json"
        kwargs = {} if body is None else {key: dict(body)}
        answer = self._call(
            operation, lambda sf: sf.restful(path, method=method, **kwargs, **self._kw())
        )
        return {} if answer is None else _object(operation, answer)

    # -- plumbing --------------------------------------------------------------------------

    def _kw(self) -> dict[str, Any]:
        return {"timeout": self._timeout}

    def _call(self, operation: str, request: Callable[[Salesforce], T]) -> T:
        def attempt() -> T:
            try:
                return self._send(operation, self._connection(), request)
            except SalesforceExpiredSession:
                logger.info("%s: Salesforce session expired; requesting a new token", operation)
                self.stats.reauthentications += 1
                self._sf = None
            try:
                return self._send(operation, self._connection(), request)
            except SalesforceExpiredSession as error:
                self._sf = None
                raise AuthError(
                    self._redact(
                        f"{operation}: Salesforce refused a freshly issued session: "
                        f"{_detail(error.content) or 'HTTP 401'}"
                    ),
                    status=401,
                ) from None

        return self.retrier.call(operation, attempt)

    def _send(self, operation: str, sf: Salesforce, request: Callable[[Salesforce], T]) -> T:
        self.stats.calls += 1
        try:
            return request(sf)
        except SalesforceExpiredSession:
            raise
        except SalesforceError as error:
            # `from None`: the exception's text embeds the URL and the whole response body.
            raise self.translate(operation, error.status, error.content) from None
        except requests.exceptions.SSLError:
            raise ConnectorError(f"{operation}: TLS failure talking to Salesforce") from None
        except requests.exceptions.InvalidJSONError:
            raise ConnectorError(
                f"{operation}: Salesforce answered with a body that is not JSON"
            ) from None
        except requests.RequestException as error:
            raise NetworkError(
                self._redact(f"{operation}: {type(error).__name__} talking to Salesforce"),
                timed_out=isinstance(error, requests.Timeout),
            ) from None

    def _connection(self) -> Salesforce:
        if self._sf is None:
            token = self._token()
            self._sf = Salesforce(
                session_id=token.access_token,
                instance_url=token.instance_url,
                session=self._session,
                version=self._api_version,
                object_pairs_hook=dict,
                parse_float=Decimal,
            )
        return self._sf

    def _token(self) -> Token:
        self.stats.calls += 1
        token = request_token(
            self._session, self._login_url, self._grant, timeout=self._timeout, redact=self._redact
        )
        if len(token.access_token) >= MIN_SECRET_LENGTH:
            self._tokens.append(token.access_token)
        self.user_id = token.user_id or self.user_id
        return token

    def translate(self, operation: str, status: int, content: object) -> ConnectorError:
        """The connector error for a Salesforce error response (`content`: its parsed body)."""
        items = _error_items(content)
        first = items[0] if items else {}
        code = _text(first.get("errorCode")) or _text(first.get("statusCode"))
        detail = _detail(content) or f"HTTP {status}"
        label = f"HTTP {status} {code}" if code else f"HTTP {status}"
        message = self._redact(_shorten(f"{operation}: {label}: {detail}"))
        common: dict[str, Any] = {"status": status, "category": code}
        if status == 403 and code == "REQUEST_LIMIT_EXCEEDED":
            if CONCURRENT_LIMIT.search(detail):  # too many long calls at once: it passes
                return RateLimitedError(message, **common)
            usage = self.api_usage
            known = f" ({usage})" if usage is not None else ""
            return QuotaExhaustedError(
                self._redact(
                    _shorten(
                        f"{operation}: the org's daily API request limit is exhausted{known}: "
                        f"{detail}. Stopping here; the next run resumes from the stored cursor "
                        "once Salesforce's rolling 24-hour count allows calls again"
                    )
                ),
                **common,
            )
        if status in (401, 403):
            return AuthError(message, **common)
        if status >= 500 or status == 408 or code in TRANSIENT_CODES:
            return RetryableError(message, **common)
        if 300 <= status <= 499:
            problems = tuple(
                PropertyProblem(_first_field(item), _code(item), _detail([item])) for item in items
            )
            return RejectedError(message, problems=problems, code=code, **common)
        return ConnectorError(message, **common)

    def _observe(self, response: requests.Response, *_args: Any, **_kwargs: Any) -> None:
        header = response.headers.get("Sforce-Limit-Info")
        if header:
            self._limit_info = header

    def _redact(self, text: str) -> str:
        for secret in (*self._secrets, *self._tokens):
            text = text.replace(secret, REDACTED)
        return text


def _assign_header(auto_assign: bool) -> dict[str, str]:
    """Salesforce runs the active Lead assignment rule on every REST write that does not say
    FALSE, so the header is always sent."""
    return {"Sforce-Auto-Assign": "TRUE" if auto_assign else "FALSE"}


def _object(operation: str, payload: object) -> Json:
    if not isinstance(payload, dict):
        raise ConnectorError(f"{operation}: Salesforce answered with JSON that is not an object")
    return payload


def _error_items(content: object) -> list[Mapping[str, Any]]:
    """Salesforce's error list (`[{"message", "errorCode", "fields"}]`), or one error object."""
    if isinstance(content, Mapping):
        return [content]
    if isinstance(content, list):
        return [item for item in content if isinstance(item, Mapping)]
    return []


def _detail(content: object) -> str | None:
    """The first error's message; of a SOQL error (the query, `ERROR at Row:1:Column:N`, then
    the reason), only its last line, which says what is wrong."""
    items = _error_items(content)
    message = _text(items[0].get("message")) if items else None
    if message is None:
        return None
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    return lines[-1] if lines else None


def _code(item: Mapping[str, Any]) -> str | None:
    return _text(item.get("errorCode")) or _text(item.get("statusCode"))


def _first_field(item: Mapping[str, Any]) -> str | None:
    fields = item.get("fields")
    return _text(fields[0]) if isinstance(fields, list) and fields else None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"

"""The sandbox's control plane: HTTP endpoints on the HubSpot port, the sandbox's control URL
(`RunningSandbox.control_url`), so benchmarks and soaks drive both CRMs from another process.

    POST /_sandbox/reset    back to the data the sandbox started with, as if restarted
    POST /_sandbox/seed     fresh data: {"seed": 7, "companies": 200, "deals_per_company": 2.0,
                            "leads_per_company": 0.5, "contacts_per_company": 1.5}; a field
                            left out keeps the value the sandbox started with
    GET  /_sandbox/faults   {"plan": {...} or null, "injected": {"hubspot": {kind: n}, ...}}
    POST /_sandbox/faults   {"plan": {"rate": 0.1, "kinds": ["server_error"], "seed": 3, ...}}
                            sets random faults on both CRMs' APIs (`FaultPlan`'s fields, any
                            left out take its defaults); {"plan": null} clears them
    GET  /_sandbox/scopes   {"scopes": [...]}: the scopes the HubSpot token carries
    POST /_sandbox/scopes   {"scopes": ["crm.objects.companies.read", ...]} replaces them
                            ({"scopes": null}: icp-sync's default set)
    GET  /_sandbox/search-lag  {"seconds": 3.0, "pending": n}: HubSpot's search indexing lag
    POST /_sandbox/search-lag  {"seconds": 0.5} sets it (0: changes searchable at once)
    GET  /_sandbox/writes   {"<record id>": n, ...}: updates per HubSpot record since the start
                            or the last reset (creations not counted); the Salesforce port
                            answers the same for its records
    GET  /_sandbox/workflows/contact-owner-by-tier   the simulated HubSpot workflow
                            (`hubspot.workflows`): {"name", "enabled", "owners": {tier: owner
                            id}, "routed": [{"contactId", "tier", "ownerId", "at"}, ...]}
    POST (same path)        {"enabled": false} and/or {"owners": {...}} (replaces the map)

Reset and seed answer what is now held (`{"seeding": {...}, "counts": {...}}`) and replace
both CRMs' records in place: what was created, changed or set up (custom properties and
fields) since is gone; tokens, rate-limit counters, fault counts and webhook targets stay.
Bad input is answered 422 with a message naming the field and its value. There is no token:
the sandbox listens on loopback only.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, Router

from crm_sandbox.core.faults import ALL_KINDS, FaultPlan
from crm_sandbox.workflow_control import WORKFLOW_NAME, change_workflow

if TYPE_CHECKING:
    from crm_sandbox.core.fault_middleware import AsgiApp, Receive, Scope, Send
    from crm_sandbox.sandbox import RunningSandbox

CONTROL_PATH = "/_sandbox"
WORKFLOW_PATH = f"{CONTROL_PATH}/workflows/{WORKFLOW_NAME}"
MAX_COMPANIES = 100_000
MAX_PER_COMPANY = 50.0


class BadInput(ValueError):
    """Input the control plane refuses (422); the message names the field and value."""


@dataclass(frozen=True, slots=True)
class Seeding:
    """What the sandbox's data was generated from (the same values, the same data)."""

    seed: int
    companies: int
    deals_per_company: float
    leads_per_company: float
    as_of: datetime
    salesforce_icp_fields: bool
    contacts_per_company: float = 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "companies": self.companies,
            "deals_per_company": self.deals_per_company,
            "leads_per_company": self.leads_per_company,
            "contacts_per_company": self.contacts_per_company,
            "as_of": self.as_of.isoformat(),
        }


def reseed(sandbox: RunningSandbox, seeding: Seeding) -> None:
    """Replaces both CRMs' data in place with what `seeding` generates."""
    sandbox.hubspot.reseed(
        seeding.seed,
        seeding.companies,
        seeding.deals_per_company,
        as_of=seeding.as_of,
        contacts_per_company=seeding.contacts_per_company,
    )
    if sandbox.salesforce is not None:
        sandbox.salesforce.reseed(
            seeding.seed,
            seeding.companies,
            seeding.deals_per_company,
            as_of=seeding.as_of,
            with_icp_fields=seeding.salesforce_icp_fields,
            leads_per_company=seeding.leads_per_company,
        )
    sandbox.seed = seeding.seed


class ControlPlane:
    """ASGI app serving `/_sandbox/…` and passing every other request to `app` (the HubSpot
    API). Answers 503 until `attach` gives it the running sandbox."""

    def __init__(self, app: AsgiApp, started_with: Seeding) -> None:
        self.app = app
        self.started_with = started_with
        self.seeding = started_with
        self.sandbox: RunningSandbox | None = None
        self._routes = Router(
            routes=[
                Route(f"{CONTROL_PATH}/reset", self._reset, methods=["POST"]),
                Route(f"{CONTROL_PATH}/seed", self._seed, methods=["POST"]),
                Route(f"{CONTROL_PATH}/faults", self._faults, methods=["GET", "POST"]),
                Route(f"{CONTROL_PATH}/scopes", self._scopes, methods=["GET", "POST"]),
                Route(f"{CONTROL_PATH}/search-lag", self._search_lag, methods=["GET", "POST"]),
                Route(f"{CONTROL_PATH}/writes", self._writes, methods=["GET"]),
                Route(WORKFLOW_PATH, self._workflow, methods=["GET", "POST"]),
            ]
        )

    def attach(self, sandbox: RunningSandbox) -> None:
        self.sandbox = sandbox

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] == "http" and (path + "/").startswith(CONTROL_PATH + "/"):
            await self._routes(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _reset(self, request: Request) -> JSONResponse:
        return await self._reseed(request, lambda _body: self.started_with)

    async def _seed(self, request: Request) -> JSONResponse:
        return await self._reseed(request, lambda body: parse_seeding(body, self.started_with))

    async def _reseed(
        self, request: Request, seeding_from: Callable[[object], Seeding]
    ) -> JSONResponse:
        sandbox = self.sandbox
        if sandbox is None:
            return _problem(503, "the sandbox is still starting")
        try:
            seeding = seeding_from(await _json_body(request, default={}))
        except BadInput as error:
            return _problem(422, str(error))
        await run_in_threadpool(reseed, sandbox, seeding)
        self.seeding = seeding
        return JSONResponse({"seeding": seeding.as_json(), "counts": _counts(sandbox)})

    async def _faults(self, request: Request) -> JSONResponse:
        sandbox = self.sandbox
        if sandbox is None:
            return _problem(503, "the sandbox is still starting")
        if request.method == "POST":
            try:
                body = await _json_body(request, default=None)
                if not isinstance(body, dict) or set(body) != {"plan"}:
                    raise BadInput(
                        'body: expected {"plan": {...}} or {"plan": null}, got '
                        f"{_shown(body)}"
                    )
                sandbox.set_faults(parse_fault_plan(body["plan"]))
            except BadInput as error:
                return _problem(422, str(error))
        plan = sandbox.hubspot_faults.plan
        return JSONResponse(
            {
                "plan": None if plan is None else dataclasses.asdict(plan),
                "injected": sandbox.faults_injected(),
            }
        )

    async def _writes(self, request: Request) -> JSONResponse:
        del request
        if self.sandbox is None:
            return _problem(503, "the sandbox is still starting")
        return JSONResponse(self.sandbox.hubspot.update_counts())

    async def _workflow(self, request: Request) -> JSONResponse:
        sandbox = self.sandbox
        if sandbox is None:
            return _problem(503, "the sandbox is still starting")
        state = sandbox.hubspot
        try:
            body = await _json_body(request, default=None) if request.method == "POST" else None
            with state.lock:
                if request.method == "POST":
                    change_workflow(state.owner_workflow, body)
                answer = state.owner_workflow.as_json()
        except ValueError as error:  # BadInput too
            return _problem(422, str(error))
        return JSONResponse(answer)

    async def _scopes(self, request: Request) -> JSONResponse:
        sandbox = self.sandbox
        if sandbox is None:
            return _problem(503, "the sandbox is still starting")
        private_app = sandbox.hubspot_private_app
        if request.method == "POST":
            try:
                private_app.scopes = parse_scopes_body(await _json_body(request, default=None))
            except BadInput as error:
                return _problem(422, str(error))
        return JSONResponse({"scopes": sorted(private_app.scopes)})

    async def _search_lag(self, request: Request) -> JSONResponse:
        sandbox = self.sandbox
        if sandbox is None:
            return _problem(503, "the sandbox is still starting")
        index = sandbox.hubspot.search_index
        if request.method == "POST":
            try:
                fields = _object(await _json_body(request, default=None), "body", {"seconds"})
                if "seconds" not in fields:
                    raise BadInput("body.seconds: required (the search indexing lag, 0-3600)")
                seconds = _number(fields["seconds"], "body.seconds", 0.0, 3_600.0)
            except BadInput as error:
                return _problem(422, str(error))
            with sandbox.hubspot.lock:
                index.lag_s = seconds
        with sandbox.hubspot.lock:
            return JSONResponse({"seconds": index.lag_s, "pending": index.pending()})


def parse_scopes_body(body: object) -> frozenset[str]:
    """The HubSpot token's scopes a `/_sandbox/scopes` body asks for (null: the default)."""
    from crm_sandbox.hubspot.scopes import parse_scopes

    scopes = _object(body, "body", {"scopes"}).get("scopes", [])
    if scopes is not None and not (
        isinstance(scopes, list) and all(isinstance(scope, str) for scope in scopes)
    ):
        raise BadInput(f"scopes: expected a list of scope names or null, got {_shown(scopes)}")
    try:
        return parse_scopes(scopes)
    except ValueError as error:
        raise BadInput(f"scopes: {error}") from None


def parse_seeding(body: object, started_with: Seeding) -> Seeding:
    """The seeding a `/_sandbox/seed` body asks for; what it leaves out stays as started."""
    fields = _object(
        body,
        "body",
        {"seed", "companies", "deals_per_company", "leads_per_company", "contacts_per_company"},
    )
    return dataclasses.replace(
        started_with,
        seed=_integer(fields["seed"], "seed") if "seed" in fields else started_with.seed,
        companies=(
            _integer(fields["companies"], "companies", 0, MAX_COMPANIES)
            if "companies" in fields
            else started_with.companies
        ),
        deals_per_company=(
            _per_company(fields["deals_per_company"], "deals_per_company")
            if "deals_per_company" in fields
            else started_with.deals_per_company
        ),
        leads_per_company=(
            _per_company(fields["leads_per_company"], "leads_per_company")
            if "leads_per_company" in fields
            else started_with.leads_per_company
        ),
        contacts_per_company=(
            _per_company(fields["contacts_per_company"], "contacts_per_company")
            if "contacts_per_company" in fields
            else started_with.contacts_per_company
        ),
    )


def parse_fault_plan(value: object) -> FaultPlan | None:
    """A `FaultPlan` from its JSON form (None for `null`)."""
    if value is None:
        return None
    names = {f.name for f in dataclasses.fields(FaultPlan)}
    fields = _object(value, "plan", names)
    if "rate" not in fields:
        raise BadInput("plan.rate: required (the share of requests to fault, 0-1)")
    options: dict[str, Any] = {"rate": _number(fields["rate"], "plan.rate", 0.0, 1.0)}
    if "kinds" in fields:
        kinds = fields["kinds"]
        if not isinstance(kinds, list) or not kinds:
            raise BadInput(f"plan.kinds: expected a non-empty list of kinds, got {_shown(kinds)}")
        for kind in kinds:
            if kind not in ALL_KINDS:
                raise BadInput(f"plan.kinds: {_shown(kind)} is not one of {', '.join(ALL_KINDS)}")
        options["kinds"] = tuple(kinds)
    if "seed" in fields:
        options["seed"] = _integer(fields["seed"], "plan.seed")
    if "hang_s" in fields:
        options["hang_s"] = _number(fields["hang_s"], "plan.hang_s", 0.0, 3_600.0)
    if "retry_after_s" in fields:
        options["retry_after_s"] = _integer(fields["retry_after_s"], "plan.retry_after_s", 0)
    if "latency_s" in fields:
        options["latency_s"] = _pair(fields["latency_s"], "plan.latency_s", _number, 0.0)
    if "burst" in fields:
        options["burst"] = _pair(fields["burst"], "plan.burst", _integer, 1)
    try:
        return FaultPlan(**options)
    except ValueError as error:
        raise BadInput(f"plan: {error}") from None


def _object(value: object, name: str, allowed: set[str]) -> dict[str, object]:
    if not isinstance(value, dict):
        raise BadInput(f"{name}: expected a JSON object, got {_shown(value)}")
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise BadInput(f"{name}.{unknown[0]}: unknown field (known: {', '.join(sorted(allowed))})")
    return value


def _integer(value: object, name: str, low: int | None = None, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadInput(f"{name}: expected an integer, got {_shown(value)}")
    _check_range(value, name, low, high)
    return value


def _number(value: object, name: str, low: float | None = None, high: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise BadInput(f"{name}: expected a number, got {_shown(value)}")
    _check_range(value, name, low, high)
    return float(value)


def _per_company(value: object, name: str) -> float:
    return _number(value, name, 0.0, MAX_PER_COMPANY)


def _pair(
    value: object, name: str, parse: Callable[[object, str, Any], Any], low: float
) -> tuple[Any, Any]:
    if not isinstance(value, list) or len(value) != 2:
        raise BadInput(f"{name}: expected [low, high], got {_shown(value)}")
    first, second = parse(value[0], f"{name}[0]", low), parse(value[1], f"{name}[1]", low)
    if first > second:
        raise BadInput(f"{name}: low {first} is above high {second}")
    return first, second


def _check_range(value: float, name: str, low: float | None, high: float | None) -> None:
    if low is not None and high is not None and not low <= value <= high:
        raise BadInput(f"{name}: {value} is not within {low}-{high}")
    if low is not None and value < low:
        raise BadInput(f"{name}: {value} is less than {low}")


def _shown(value: object) -> str:
    text = json.dumps(value)
    return text if len(text) <= 80 else text[:77] + "..."


async def _json_body(request: Request, *, default: object) -> object:
    raw = await request.body()
    if not raw.strip():
        return default
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadInput("body: not JSON") from None


def _counts(sandbox: RunningSandbox) -> dict[str, Mapping[str, int]]:
    counts: dict[str, Mapping[str, int]] = {
        "hubspot": {
            "companies": sandbox.hubspot.count("companies"),
            "deals": sandbox.hubspot.count("deals"),
            "contacts": sandbox.hubspot.count("contacts"),
        }
    }
    if sandbox.salesforce is not None:
        org = sandbox.salesforce
        counts["salesforce"] = {
            name: len(org.snapshot(name)) for name in ("Account", "Lead", "Opportunity")
        }
    return counts


def _problem(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)

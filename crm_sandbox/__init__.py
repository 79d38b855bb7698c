"""Loopback simulators of the CRMs' APIs, for the demo, `icp-sync sandbox`, the tests and the
benchmarks; the service itself never imports them (the production image leaves them out).

`start_sandbox(...)` (`sandbox`) seeds and serves HubSpot, and Salesforce beside it, and returns
a `RunningSandbox`: its `service_env()` is the one mapping to icp-sync's `ICP_SYNC_*` settings,
its `control_url` resets, reseeds and faults both CRMs over HTTP (`control`). `core/` holds what
both CRMs share (seed data, faults, the webhook notifier), `hubspot/` and `salesforce/` each
CRM's state, handlers and routes; `serving` runs an ASGI app in a thread; `inbound` simulates
arriving leads; `pytest_plugin` gives tests their sandboxes. Importing this package is cheap:
the web stack is imported when a sandbox starts.
"""

from crm_sandbox.hubspot.state import HubSpotState
from crm_sandbox.sandbox import RunningSandbox, SandboxError, start_sandbox

__all__ = ["HubSpotState", "RunningSandbox", "SandboxError", "start_sandbox"]

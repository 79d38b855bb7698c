"""Loopback simulators of the CRMs' APIs, for the demo, the tests and the benchmarks.

`start_sandbox(...)` seeds and serves the HubSpot sandbox (see `server.py`); `seed` generates
the shared, deterministic company and deal data; `hubspot_state` holds what the HubSpot
sandbox serves and `hubspot_api` is its HTTP API. `webhooks` sends change notifications
(`hubspot_webhooks`, `salesforce_outbound`) and `inbound` simulates arriving leads. Importing
this package is cheap: the web stack is imported when a sandbox starts.
"""

from crm_sandbox.hubspot.state import HubSpotState
from crm_sandbox.sandbox import RunningSandbox, SandboxError, start_sandbox

__all__ = ["HubSpotState", "RunningSandbox", "SandboxError", "start_sandbox"]

"""The service's Prometheus metrics, defined once; `/metrics` serves this registry, or, under
`serve --workers N`, the sum over the N processes (prometheus_client's multiprocess mode: each
process writes its values to files in a folder that `serve` creates and removes)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.multiprocess import MultiProcessCollector

MULTIPROCESS_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
"""Read by prometheus_client when it is imported: set before the worker processes start."""

REGISTRY = CollectorRegistry(auto_describe=True)

EVENTS_RECEIVED = Counter(
    "icp_sync_webhook_events_received",
    "Webhook events verified and stored in the inbox (duplicates not counted).",
    ["source"],
    registry=REGISTRY,
)
EVENTS_DUPLICATE = Counter(
    "icp_sync_webhook_events_duplicate",
    "Webhook events already in the inbox (a CRM redelivery), answered 2xx and not stored again.",
    ["source"],
    registry=REGISTRY,
)
REQUESTS_REJECTED = Counter(
    "icp_sync_webhook_requests_rejected",
    "Webhook requests refused, by reason (signature, stale, too_large, malformed, org).",
    ["source", "reason"],
    registry=REGISTRY,
)
EVENTS_PROCESSED = Counter(
    "icp_sync_inbox_events_processed",
    "Inbox events processed by a worker.",
    ["source"],
    registry=REGISTRY,
)
EVENTS_FAILED = Counter(
    "icp_sync_inbox_events_failed",
    "Inbox event processing attempts that failed (retried later, or dead-lettered).",
    ["source", "final"],
    registry=REGISTRY,
)
DRIFT_FOUND = Counter(
    "icp_sync_drift_found",
    "Records whose score properties a person or another tool changed in the CRM since our "
    "last write (mode: repair = rewritten, report = only reported).",
    ["source", "mode"],
    registry=REGISTRY,
)
INBOX_DEPTH = Gauge(
    "icp_sync_inbox_depth",
    "Inbox events by status (pending, processing, done, dead), counted every few seconds.",
    ["status"],
    registry=REGISTRY,
    multiprocess_mode="mostrecent",  # one process counts; after a takeover, its successor
)
END_TO_END_SECONDS = Histogram(
    "icp_sync_webhook_end_to_end_seconds",
    "From receiving a webhook event to its record's score written back (or found unchanged).",
    ["source"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0),
    registry=REGISTRY,
)
CRM_API_CALLS = Counter(
    "icp_sync_crm_api_calls",
    "CRM API calls made (sync and worker).",
    ["source"],
    registry=REGISTRY,
)
CRM_RATE_LIMITED = Counter(
    "icp_sync_crm_rate_limited",
    "CRM answers refusing a call for a rate or quota limit (429, REQUEST_LIMIT_EXCEEDED).",
    ["source"],
    registry=REGISTRY,
)
SYNC_SECONDS = Histogram(
    "icp_sync_sync_duration_seconds",
    "Scheduled sync durations.",
    ["source", "kind"],
    buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600),
    registry=REGISTRY,
)


def registry_to_serve() -> CollectorRegistry:
    """This process's registry, or one that sums the files of all the `serve` processes."""
    folder = os.environ.get(MULTIPROCESS_VARIABLE)
    if not folder:
        return REGISTRY
    combined = CollectorRegistry()
    MultiProcessCollector(combined, folder)  # type: ignore[no-untyped-call]
    return combined


@contextmanager
def shared_metrics_folder() -> Iterator[str]:
    """A fresh folder for the metric files of the processes started in the block, named in
    the environment they inherit; removed afterwards (counters restart with the service, as
    they do with one process)."""
    folder = tempfile.mkdtemp(prefix="icp-sync-metrics-")
    os.environ[MULTIPROCESS_VARIABLE] = folder
    try:
        yield folder
    finally:
        del os.environ[MULTIPROCESS_VARIABLE]
        shutil.rmtree(folder, ignore_errors=True)

"""The service's Prometheus metrics, defined once; `/metrics` serves this registry, or, under
`serve --workers N`, the sum over the N processes (prometheus_client's multiprocess mode: each
process writes its values to files in a folder that `serve` creates and removes)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from app.sync.health import StreamHealth

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
ECHOES_DROPPED = Counter(
    "icp_sync_webhook_echoes_dropped",
    "Webhook events that were our own score writes coming back (changeSource INTEGRATION): "
    "answered 2xx, not stored.",
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
RETENTION_PRUNED = Counter(
    "icp_sync_retention_rows_pruned",
    "Rows deleted once older than ICP_SYNC_RETENTION_DAYS (table: webhook_events, processed "
    "events with their bodies).",
    ["table"],
    registry=REGISTRY,
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
CRM_UNAVAILABLE = Gauge(
    "icp_sync_crm_unavailable",
    "1 while the inbox worker waits out a CRM it cannot use (reason: unreachable, "
    "server_error, rate_limited, auth), else 0; auth needs an admin (renew the token, add "
    "the scope).",
    ["source", "reason"],
    registry=REGISTRY,
    multiprocess_mode="mostrecent",  # the elected process's worker sets it
)
EVENTS_WAITING = Counter(
    "icp_sync_inbox_events_waited",
    "Inbox events put back to wait out a CRM outage (no attempt spent), by reason.",
    ["source", "reason"],
    registry=REGISTRY,
)
SYNC_SECONDS = Histogram(
    "icp_sync_sync_duration_seconds",
    "Scheduled sync durations.",
    ["source", "kind"],
    buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600),
    registry=REGISTRY,
)
SYNC_FAILURES = Counter(
    "icp_sync_sync_failures",
    "Scheduled syncs of this process that failed (the error is in the log and in "
    "`icp-sync status`).",
    ["source", "kind"],
    registry=REGISTRY,
)

ROLLOUT_ACCOUNTS = Counter(
    "icp_sync_rollout_accounts",
    "Accounts and leads a rubric roll-out went through, by outcome: rescored (scored with the "
    "new rubric), changed (score, tier, flags or version changed), written, failed (a write "
    "the CRM refused; retried later).",
    ["source", "outcome"],
    registry=REGISTRY,
)
ROLLOUT_REMAINING = Gauge(
    "icp_sync_rollout_accounts_remaining",
    "A rubric roll-out's work left, by phase: rescore (accounts not yet rescored), write "
    "(writes owed not yet sent); 0 once done.",
    ["source", "phase"],
    registry=REGISTRY,
    multiprocess_mode="mostrecent",  # the elected process rolls out
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


def sync_health_registry(health: Sequence[StreamHealth]) -> CollectorRegistry:
    """Per CRM stream, the last successful sync, the last failure, the failures in a row and
    the last error's type, as read from the store at this scrape (app.sync.health): every
    replica and process reports what any of them (or `icp-sync sync`) recorded. A registry of
    its own, built per scrape, so no stale value outlives the store's and no process keeps a
    copy in the multiprocess files."""
    success = GaugeMetricFamily(
        "icp_sync_sync_last_success_timestamp_seconds",
        "When a sync last brought this CRM stream up to date (Unix time); absent if never.",
        labels=["source", "stream"],
    )
    failure = GaugeMetricFamily(
        "icp_sync_sync_last_failure_timestamp_seconds",
        "When a sync of this CRM stream last failed (Unix time); absent if never.",
        labels=["source", "stream"],
    )
    in_a_row = GaugeMetricFamily(
        "icp_sync_sync_consecutive_failures",
        "Syncs of this CRM stream that failed since its last success (0: the last one succeeded).",
        labels=["source", "stream"],
    )
    error = GaugeMetricFamily(
        "icp_sync_sync_last_error_info",
        "1 for the type of the error that failed this CRM stream's syncs in a row (present "
        "only while it fails; the scrubbed message is in `icp-sync status`).",
        labels=["source", "stream", "error_type"],
    )
    for h in health:
        if h.last_success_at is not None:
            success.add_metric([h.source, h.stream], h.last_success_at.timestamp())
        if h.last_failure_at is not None:
            failure.add_metric([h.source, h.stream], h.last_failure_at.timestamp())
        in_a_row.add_metric([h.source, h.stream], h.consecutive_failures)
        if h.consecutive_failures and h.last_error_type:
            error.add_metric([h.source, h.stream, h.last_error_type], 1)
    families = [success, failure, in_a_row, error]
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Families(families))
    return registry


class _Families(Collector):
    def __init__(self, families: Sequence[Metric]) -> None:
        self._families = families

    def collect(self) -> Iterable[Metric]:
        return self._families

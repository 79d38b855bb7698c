"""The service's Prometheus metrics, defined once; `/metrics` serves this registry."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

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
# Read from the store at each scrape (app.sync.health), so every replica reports what any
# process recorded, `icp-sync sync` runs included.
SYNC_LAST_SUCCESS = Gauge(
    "icp_sync_sync_last_success_timestamp_seconds",
    "When a sync last brought this CRM stream up to date (Unix time); absent if never.",
    ["source", "stream"],
    registry=REGISTRY,
)
SYNC_LAST_FAILURE = Gauge(
    "icp_sync_sync_last_failure_timestamp_seconds",
    "When a sync of this CRM stream last failed (Unix time); absent if never.",
    ["source", "stream"],
    registry=REGISTRY,
)
SYNC_CONSECUTIVE_FAILURES = Gauge(
    "icp_sync_sync_consecutive_failures",
    "Syncs of this CRM stream that failed since its last success (0: the last one succeeded).",
    ["source", "stream"],
    registry=REGISTRY,
)
SYNC_LAST_ERROR = Gauge(
    "icp_sync_sync_last_error_info",
    "1 for the type of the error that failed this CRM stream's syncs in a row (present only "
    "while it fails; the scrubbed message is in `icp-sync status`).",
    ["source", "stream", "error_type"],
    registry=REGISTRY,
)

"""The CRMs' webhook formats, one module each (`hubspot`, `salesforce_json`, `salesforce_soap`):
verifying a delivery and parsing it into inbox events, pure (no I/O besides reading the body, no
clock: `now` is passed in). Beside each, `<format>_openapi` documents what it accepts, so a
parser and its schema change together. `app.api.routes.webhooks` maps HTTP to them, as
`app.api.routes.metrics` does to `app.metrics`.

Words, used one way throughout the app:

- *delivery*: one webhook request from a CRM; `Delivery` is what it parsed into.
- *event*: one record change a delivery carries (`IncomingEvent`; an Outbound Message calls
  its events notifications).
- *inbox*: where events wait for the worker (`app.inbox`, the `webhook_events` table).
- *refused*: a delivery answered 4xx (`WebhookError`, the `Refused` answer), counted by the
  `icp_sync_webhook_requests_rejected` metric, whose name stays as published.
"""

"""Receiving CRM webhooks: size-limited body reading, signature and origin checks, and parsing a
delivery into `IncomingEvent`s. Pure functions (no I/O besides reading the body, no clock: `now`
is passed in), so the route handlers in `app.api.routes.webhooks` stay thin."""

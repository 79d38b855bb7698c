"""The HTTP service (FastAPI): webhooks, health checks."""

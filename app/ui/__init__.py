"""The dashboard: read-only pages under /ui, server-rendered, behind a login."""

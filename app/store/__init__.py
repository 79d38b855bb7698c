"""Persistence: the canonical records (SQLAlchemy tables), engines and schema migrations."""

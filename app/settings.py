"""Runtime configuration from `ICP_SYNC_*` environment variables and an optional `.env` file.

Secrets are `SecretStr`, so `repr()`, logs and error messages show `**********`; the database
URL may embed a password, so it is only ever displayed through `display_database_url`.

CRM URLs must be https (the token and CRM data cross them), except on a loopback host: the
built-in sandbox serves HubSpot over plain http on 127.0.0.1. The admin token must be long and
varied enough not to be guessed (`ADMIN_TOKEN_MIN_LENGTH`, `ADMIN_TOKEN_MIN_DISTINCT`).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from ipaddress import ip_address
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.errors import ConfigError
from app.settings_sources import ENV_FILE, ENV_PREFIX

DEFAULT_DATABASE_URL = "sqlite:///./icp-sync.db"
ADMIN_TOKEN_MIN_LENGTH = 32
ADMIN_TOKEN_MIN_DISTINCT = 8
"""Different characters an admin token needs: refuses `aaaa…` or a short word repeated; a
random hex token of 32 characters fails it about once in 28 million."""
CRM_REDELIVERY_DAYS = 1.0
"""How long the CRMs may deliver an event again: HubSpot retries a webhook up to 10 times over
24 hours, Salesforce retries an Outbound Message for 24 hours. The inbox recognises a
redelivery by the event's identity, so it keeps processed events at least this long."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=ENV_FILE,
        env_file_encoding="utf-8",
        extra="ignore",
        hide_input_in_errors=True,
    )

    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description="SQLAlchemy URL of the store; SQLite file in the working directory by default.",
    )
    rubric: Path | None = Field(
        default=None, description="Path of the rubric YAML; the shipped default when unset."
    )
    rubric_dir: Path | None = Field(
        default=None,
        description="Directory of rubric files (name = file stem): the champion, recorded in "
        "the store by `icp-sync promote`, and challengers scored in shadow (app.rubric.registry).",
    )

    hubspot_token: SecretStr | None = None
    hubspot_base_url: str = "https://api.hubapi.com"
    hubspot_app_secret: SecretStr | None = None
    hubspot_portal_id: int | None = Field(
        default=None,
        ge=1,
        description="The portal's Hub ID, for the dashboard's links to HubSpot records (else "
        "learnt from the first HubSpot webhook).",
    )

    salesforce_instance_url: str | None = None
    salesforce_client_id: SecretStr | None = None
    salesforce_client_secret: SecretStr | None = None
    salesforce_username: str | None = None
    salesforce_private_key: SecretStr | None = None
    salesforce_ca_bundle: Path | None = None
    salesforce_org_id: str | None = None
    salesforce_webhook_secret: SecretStr | None = None
    hubspot_contacts: bool = Field(
        default=True,
        description="Score HubSpot contacts as prospects and write their scores onto them "
        "(false: companies only; a new contact then rescores its company).",
    )
    salesforce_assign_new_leads: bool = Field(
        default=True,
        description="Run the org's lead assignment rules on a new lead's first scoring (only).",
    )

    admin_token: SecretStr | None = None
    ui_users_file: Path | None = Field(
        default=None,
        description="The dashboard's users: one `name:hash` line each, the hash made by "
        "`icp-sync ui-password` (argon2id). The admin token also logs in, with no user name.",
    )
    ui_session_secret: SecretStr | None = Field(
        default=None,
        description="Key that signs the dashboard's session cookies; the same in every process "
        "and replica. Default: derived from the admin token (required with users and no token).",
    )
    ui_session_hours: float = Field(
        default=12, gt=0, le=24 * 30, description="How long a dashboard login lasts."
    )

    sync_interval_minutes: int = Field(
        default=15, ge=0, description="Incremental sync of each CRM every N minutes (0: off)."
    )
    full_sync_hour: int = Field(
        default=2, ge=-1, le=23, description="Hour (UTC) of the nightly full reconcile (-1: off)."
    )
    validation_hour: int = Field(
        default=3,
        ge=-1,
        le=23,
        description="Hour (UTC) of the nightly validation `serve` stores for the dashboard: the "
        "champion's `validate` and each challenger's `plan` (-1: off).",
    )
    sync_stale_minutes: int = Field(
        default=60,
        ge=0,
        description="`/healthz/sync` answers 503 (and `icp-sync status` says stale) when a "
        "CRM stream's last successful sync is older than this (0: never stale).",
    )
    sync_overlap_seconds: float = Field(
        default=300,
        ge=0,
        le=86_400,
        description="How far before the previous sync's start an incremental sync reads again: "
        "longer than the CRM's search indexing lag (HubSpot: seconds) plus any skew between "
        "this host's clock and the CRM's.",
    )
    worker_batch: int = Field(default=200, ge=1, le=5_000, description="Events per worker pass.")
    inbox_lease_seconds: float = Field(
        default=120,
        ge=1,
        le=86_400,
        description="How long a worker's claim on an event lasts: a worker killed mid-event "
        "leaves it to another after this. Longer than the slowest pass (CRM retries included).",
    )
    inbox_outage_hours: float = Field(
        default=24,
        ge=0.1,
        le=24 * 14,
        description="How long inbox events wait out a CRM outage (no answer, 5xx, 429, daily "
        "quota) before the dead letter: as long as HubSpot and Salesforce keep retrying their "
        "own deliveries (24 h). An outage spends none of an event's attempts.",
    )
    inbox_outage_max_backoff_seconds: float = Field(
        default=300,
        ge=1,
        le=3_600,
        description="Longest wait between two tries of a CRM that is down (the back-off doubles "
        "from 5 s up to this): a CRM that returns is used again within this time.",
    )
    writeback_retry_seconds: float = Field(
        default=30,
        ge=1,
        le=3_600,
        description="How often an idle worker retries the CRM writes that failed and whose "
        "back-off expired (without waiting for the next scheduled sync).",
    )
    drift: str = Field(
        default="repair",
        pattern="^(repair|report)$",
        description="A score property changed in the CRM by a person or another tool since our "
        "last write: `repair` rewrites it at the next sync or webhook, `report` only logs and "
        "counts it (sync report `drifted`, metric icp_sync_drift_found).",
    )
    retention_days: float = Field(
        default=7,
        le=36_500,
        allow_inf_nan=False,
        description="Processed inbox events (and their bodies) are deleted this many days "
        "after processing; dead-lettered and waiting events are kept. At least 1 day, the "
        "CRMs' redelivery window, so a late duplicate is still recognised.",
    )
    retention_interval_minutes: int = Field(
        default=60,
        ge=1,
        le=24 * 60,
        description="How often `serve` prunes the inbox (the first run a minute after the "
        "start): each run deletes what aged past the retention since the last one, so the "
        "inbox's size saw-tooths by this much of its event rate.",
    )
    log_format: str = Field(default="json", pattern="^(json|console)$")

    @field_validator("retention_days")
    @classmethod
    def _not_within_redelivery(cls, value: float) -> float:
        if value < CRM_REDELIVERY_DAYS:
            raise ValueError(
                f"{value:g} days is shorter than the CRMs' redelivery window "
                f"({CRM_REDELIVERY_DAYS:g} day: HubSpot and Salesforce retry a delivery for 24 "
                "hours), so a late duplicate would be processed again; set at least 1"
            )
        return value

    @field_validator("hubspot_base_url", "salesforce_instance_url")
    @classmethod
    def _crm_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parsed = urlsplit(value)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError("expected an https:// URL")
        if parsed.scheme == "http" and not is_loopback(parsed.hostname):
            shown = f"http://{parsed.netloc.rpartition('@')[2]}"  # never a user:password@
            raise ValueError(
                f"expected an https:// URL, got {shown}: the token and CRM data would cross the "
                "network unencrypted (plain http:// is accepted only on a loopback host: "
                "127.0.0.1, ::1, localhost)"
            )
        return value.rstrip("/")

    @field_validator("admin_token", "ui_session_secret")
    @classmethod
    def _strong_admin_token(cls, value: SecretStr | None) -> SecretStr | None:
        token = value.get_secret_value() if value is not None else ""
        if token and (
            len(token) < ADMIN_TOKEN_MIN_LENGTH or len(set(token)) < ADMIN_TOKEN_MIN_DISTINCT
        ):
            raise ValueError(
                f"too easy to guess: use at least {ADMIN_TOKEN_MIN_LENGTH} random characters "
                f"(for instance `openssl rand -hex {ADMIN_TOKEN_MIN_LENGTH}`), or leave it unset "
                "to disable the admin API (and, for the session secret, to derive it from the "
                "admin token)"
            )
        return value


def is_loopback(host: str | None) -> bool:
    """Whether `host` (a URL's host name) is this machine: `localhost` or a loopback address."""
    if host is None:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def settings_from(environment: Mapping[str, str], **fields: Any) -> Settings:
    """Settings from `ICP_SYNC_*` names and values (a sandbox's `service_env()`), with `fields`
    (by field name) on top, without touching the process environment, which still fills the
    rest as usual."""
    named = {
        key.removeprefix(ENV_PREFIX).lower(): value
        for key, value in environment.items()
        if key.startswith(ENV_PREFIX)
    }
    return Settings(**(named | fields))


def display_database_url(url: str) -> str:
    """The database URL with any password masked, for messages and logs."""
    from sqlalchemy.engine import make_url  # SQLAlchemy is slow to import; needed only here
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        return "<unparseable database URL>"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once on first use (never at import)."""
    try:
        return Settings()
    except ValidationError as error:
        # Named by environment variable; the value is never shown, since it may be a secret.
        problems = "; ".join(
            f"ICP_SYNC_{'_'.join(str(part) for part in e['loc']).upper()}: "
            f"{e['msg'].removeprefix('Value error, ')}"
            for e in error.errors()
        )
        raise ConfigError(f"invalid settings: {problems}") from None

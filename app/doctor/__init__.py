"""`icp-sync doctor`: checks a live CRM, the store and the rubric, and says how to fix each
failure (`model.Check`). Local checks in `local`, CRM checks in `hubspot` and `salesforce`,
output in `report`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from app.doctor.model import Check
from app.settings import Settings

LOCAL = "local"


def run_checks(settings: Settings, rubric_path: Path, sources: Sequence[str]) -> list[Check]:
    """Every check, local ones first, then each CRM in `sources` (none: a failed `crm` check)."""
    from app.doctor.hubspot import hubspot_checks
    from app.doctor.local import rubric_check, store_check
    from app.doctor.salesforce import salesforce_checks

    rubric_result, rubric = rubric_check(rubric_path)
    checks = [rubric_result, store_check(settings.database_url)]
    if not sources:
        checks.append(
            Check(
                "crm",
                LOCAL,
                "fail",
                "no CRM is configured",
                "set ICP_SYNC_HUBSPOT_TOKEN or ICP_SYNC_SALESFORCE_INSTANCE_URL (or run "
                "`icp-sync sandbox`)",
            )
        )
    for source in sources:
        crm_checks = hubspot_checks if source == "hubspot" else salesforce_checks
        try:
            checks += crm_checks(settings, rubric)
        except Exception as error:  # a bug in a check: report it, run the other CRM's
            checks.append(
                Check(
                    "doctor",
                    source,
                    "fail",
                    f"the {source} checks stopped on an unexpected {type(error).__name__}",
                    "report this as a bug in icp-sync doctor, with the output of --json",
                )
            )
    return checks

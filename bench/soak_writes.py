"""Double writes: score values that icp-sync sent to a CRM record when the record already held
exactly those values from its previous write.

Each accepted write of the ICP properties by the service (HubSpot: the sandbox's write log,
source "API"; Salesforce: every `update` the org saves for the integration user, recorded by
wrapping the org's `update` in this process) is compared with the values of the record's
previous write, the time of scoring left out (`icp_scored_at` / `ICP_Scored_At__c` changes with
every write): a write that changes no other value is a re-send.

A re-send is *explained* by a fault when the CRM accepted the earlier write but the client could
not know it: a fault of kind `slow_answer`, `dropped` or `timeout` on a request to a path that
writes, between the two writes. In this sandbox, `dropped` and `timeout` fault a request before
the CRM handles it and `slow_answer` holds an answer back 0.02-0.2 s (under the clients' read
timeouts), so none of them can make a landed write look failed: every re-send found is expected
to be unexplained, and the faults in the gap are listed to help find its cause.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from connectors.hubspot.schema import SCORED_AT as HUBSPOT_SCORED_AT
from connectors.hubspot.schema import WRITEBACK_PROPERTIES
from connectors.salesforce.schema import SCORED_AT as SALESFORCE_SCORED_AT
from connectors.salesforce.schema import WRITEBACK_FIELDS
from crm_sandbox.core.faults import Fault, FaultInjector
from crm_sandbox.sandbox import RunningSandbox

CUT_OFF_KINDS = frozenset({"slow_answer", "dropped", "timeout"})
WRITE_PATHS = {
    "hubspot": re.compile(r"/batch/(update|upsert)|/objects/companies/[0-9]+$"),
    "salesforce": re.compile(r"/composite/sobjects|/sobjects/(Account|Lead)/[0-9A-Za-z]{15,18}$"),
}


@dataclass(frozen=True, slots=True)
class Write:
    at_s: float  # wall clock
    record: str
    values: Mapping[str, Any]  # the score values, the scoring time left out


@dataclass
class WriteWatch:
    """Records the Salesforce org's updates and both CRMs' faults while the soak runs."""

    sandbox: RunningSandbox
    salesforce_writes: list[Write] = field(default_factory=list)
    faults: list[tuple[float, str, str, str]] = field(default_factory=list)  # at, crm, kind, path
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> WriteWatch:
        self._watch_faults("hubspot", self.sandbox.hubspot_faults)
        if self.sandbox.salesforce_sandbox is not None:
            self._watch_faults("salesforce", self.sandbox.salesforce_sandbox.faults)
        org = self.sandbox.salesforce
        if org is not None:
            update = org.update
            fields = set(WRITEBACK_FIELDS) - {SALESFORCE_SCORED_AT}

            def recorded(
                object_name: str, record_id: str, values: Mapping[str, Any], **options: Any
            ) -> dict[str, Any]:
                saved = update(object_name, record_id, values, **options)
                ours = options.get("user_id") is None
                if ours and fields & values.keys():
                    score = {k: v for k, v in values.items() if k in fields}
                    with self._lock:
                        self.salesforce_writes.append(Write(time.time(), saved["Id"], score))
                return saved

            org.update = recorded  # type: ignore[method-assign]
        return self

    def _watch_faults(self, crm: str, injector: FaultInjector) -> None:
        decide = injector.decide

        def logged(target: str) -> Fault | None:
            fault = decide(target)
            if fault is not None and fault.kind in CUT_OFF_KINDS:
                with self._lock:
                    self.faults.append((time.time(), crm, fault.kind, target.split("?")[0]))
            return fault

        injector.decide = logged  # type: ignore[method-assign]

    def hubspot_writes(self) -> list[Write]:
        fields = set(WRITEBACK_PROPERTIES) - {HUBSPOT_SCORED_AT}
        return [
            Write(w.modified_ms / 1000, w.object_id, {k: v for k, v in w.properties.items()
                                                      if k in fields})
            for w in self.sandbox.hubspot.writes("companies")
            if w.source == "API" and fields & w.properties.keys()
        ]  # fmt: skip

    def report(self) -> dict[str, Any]:
        with self._lock:
            salesforce = list(self.salesforce_writes)
            faults = list(self.faults)
        return {
            crm: resends(crm, writes, faults)
            for crm, writes in (("hubspot", self.hubspot_writes()), ("salesforce", salesforce))
        }


def resends(
    crm: str, writes: list[Write], faults: list[tuple[float, str, str, str]]
) -> dict[str, Any]:
    """Writes that changed nothing but the scoring time, split into explained (a cut-off fault
    on a write path in between) and unexplained."""
    cut_offs = sorted(
        (at, kind) for at, source, kind, path in faults
        if source == crm and WRITE_PATHS[crm].search(path)
    )  # fmt: skip
    last: dict[str, Write] = {}
    per_record: Counter[str] = Counter()
    explained: list[dict[str, Any]] = []
    unexplained: list[dict[str, Any]] = []
    by_kind: defaultdict[str, int] = defaultdict(int)
    for write in writes:
        per_record[write.record] += 1
        before = last.get(write.record)
        last[write.record] = write
        if before is None or any(before.values.get(k) != v for k, v in write.values.items()):
            continue
        between = [kind for at, kind in cut_offs if before.at_s <= at <= write.at_s]
        example = {
            "record": write.record,
            "gap_s": round(write.at_s - before.at_s, 2),
            "cut_off_faults_between": between,
        }
        (explained if between else unexplained).append(example)
        for kind in between:
            by_kind[kind] += 1
    return {
        "score_writes": len(writes),
        "records_written": len(per_record),
        "records_written_more_than_once": sum(1 for n in per_record.values() if n > 1),
        "resends": len(explained) + len(unexplained),
        "resends_explained_by_faults": len(explained),
        "resends_unexplained": len(unexplained),
        "explaining_faults_by_kind": dict(by_kind),
        "cut_off_faults_on_write_paths": len(cut_offs),
        "unexplained_examples": unexplained[:10],
    }

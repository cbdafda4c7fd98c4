"""A finding: one rule's verdict on one charge line, and how findings roll up per line."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

SEVERITIES = ("error", "warning", "info")
STATUSES = ("fail", "bypassed", "no_data")
LINE_STATUS_ORDER = ("ERROR", "WARN", "NO_DATA", "INFO", "CLEAN")
_RANK = {status: rank for rank, status in enumerate(LINE_STATUS_ORDER)}
# What a finding makes its line, by (status, severity): a failure its severity; a bypass is listed for
# review (the documentation must support it); no_data means the line could not be judged.
COUNTS_AS = {(status, severity): "NO_DATA" if status == "no_data" else "INFO" if status == "bypassed" else
             {"error": "ERROR", "warning": "WARN", "info": "INFO"}[severity]
             for status in STATUSES for severity in SEVERITIES}


@dataclass(slots=True)
class Finding:
    row: int
    rule: str
    name: str
    severity: str
    status: str
    message: str
    fix: str
    amount_at_risk: Decimal | None
    patient_id: str | None
    dos: date | None
    cpt: str | None
    source: str
    field: str | None  # the charge-sheet column whose cell is at fault (highlighted in the xlsx copy)
    claim_id: str | None = None  # where a claims file holds the line: CLM01 and the LX service line number
    claim_line: str | None = None

    def as_dict(self) -> dict:
        return {
            "row": self.row, "rule": self.rule, "name": self.name, "severity": self.severity,
            "status": self.status, "message": self.message, "fix": self.fix,
            "amount_at_risk": float(self.amount_at_risk) if self.amount_at_risk is not None else None,
            "patient_id": self.patient_id, "dos": self.dos.isoformat() if self.dos else None, "cpt": self.cpt,
            "source": self.source, "field": self.field,
            **({"claim_id": self.claim_id, "claim_line": self.claim_line} if self.claim_id else {}),
        }

    @property
    def counts_as(self) -> str:
        """What this finding makes its line: ERROR, WARN, INFO, NO_DATA."""
        return COUNTS_AS[(self.status, self.severity)]


def more_serious(status: str, other: str | None) -> bool:
    """`status` outranks `other` (None: the line has no status yet)."""
    return other is None or _RANK[status] < _RANK[other]


def line_status(findings: list[Finding]) -> str:
    """The Scrub Status of a line: its most serious finding, CLEAN when it has none."""
    if not findings:
        return "CLEAN"
    return min([f.counts_as for f in findings], key=_RANK.__getitem__)


def sort_key(finding: Finding) -> tuple:
    return finding.row, SEVERITIES.index(finding.severity), finding.rule, finding.message

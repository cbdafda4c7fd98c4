"""ANSI X12 835 remittances -> paid and denied service lines, read and validated by pyx12."""
from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import UsageError
from .patients import dependent_id
from .sniff import CLAIMS_THEN_REMITS, transaction_sets, x12_text


@dataclass
class RemitLine:
    claim_id: str
    line_control: str | None  # REF*6R: the line item control number the claim was billed with
    code: str
    modifiers: tuple[str, ...]
    dos: str | None
    patient_id: str | None
    charge: float
    paid: float
    adjustments: list[tuple[str, str, float]] = field(default_factory=list)  # (group, CARC, amount)
    remarks: list[str] = field(default_factory=list)  # RARCs (LQ*HE)

    @property
    def denial_adjustments(self) -> list[tuple[str, str, float]]:
        """The adjustments that are not what an allowed line carries: the contract's reduction (45, 42),
        sequestration (253), the multiple-procedure reduction (59), an earlier payer's payment (23), a code
        for required reporting only (246: a quality data code billed at a nominal $0.01), and the patient's
        deductible, coinsurance and copay (PR-1, PR-2, PR-3)."""
        return [(group, reason, amount) for group, reason, amount in self.adjustments
                if reason not in NOT_DENIALS and not (group == "PR" and reason in COST_SHARING)]

    @property
    def denied(self) -> bool:
        """Paid nothing for a charge, for a reason beyond the contract and the patient's share (a line
        applied to the Part B deductible is allowed, not denied)."""
        return self.paid == 0 and self.charge > 0 and bool(self.denial_adjustments)

    @property
    def reasons(self) -> list[str]:
        return [f"{group}-{reason}" for group, reason, _ in self.denial_adjustments]

    @property
    def reason(self) -> str | None:
        """The first denial reason (CARC)."""
        return next((reason for _, reason, _ in self.denial_adjustments), None)


NOT_DENIALS = frozenset({"45", "42", "253", "59", "23", "246"})
COST_SHARING = frozenset({"1", "2", "3"})  # with group PR: deductible, coinsurance, copay


REVERSAL = "22"  # CLP02: a reversal of an earlier payment, not the outcome of the claims being backtested


def read_835(path: Path) -> list[RemitLine]:
    import pyx12.errors
    import pyx12.error_handler
    import pyx12.params
    import pyx12.x12context

    lines: list[RemitLine] = []
    text = x12_text(path.read_bytes().decode("ascii", errors="replace"))
    try:
        with io.StringIO(text) as handle:
            reader = pyx12.x12context.X12ContextReader(pyx12.params.params(), pyx12.error_handler.errh_null(), handle)
            for node in reader.iter_segments("2100"):
                if node.id != "2100" or node.get_value("CLP02") == REVERSAL:
                    continue
                claim_id = node.get_value("CLP01") or ""
                patient = _patient(node)
                claim_level = _adjustments(c for c in node.children if c.id == "CAS")
                for service in node.select("2110"):
                    lines.append(_service(service, claim_id, patient, claim_level))
    except (pyx12.errors.X12Error, pyx12.errors.EngineError, ValueError, IndexError, KeyError) as exc:
        raise UsageError(f"{path}: not a readable X12 835 file: {exc}") from None
    if not lines and transaction_sets(text) == {"837"}:
        raise UsageError(f"{path}: an 837 claim file, not a remittance: give the 835 the payer sent back "
                         f"({CLAIMS_THEN_REMITS}: the claims first)")
    if not lines:
        raise UsageError(f"{path}: no 835 service payments (SVC) found; is this a remittance file?")
    return lines


def _patient(claim: Any) -> str | None:
    """The patient's id (NM1*QC); beside the insured's (NM1*IL: the patient is a dependent), with the
    patient's name, as the 837 reader names a dependent."""
    names = {n.get_value("NM101"): n for n in claim.select("NM1") if n.get_value("NM101") in ("QC", "IL")}
    patient, insured = names.get("QC"), names.get("IL")
    if patient is None:
        return None
    if insured is None or _name(insured) == _name(patient):  # some payers send the insured always
        return patient.get_value("NM109")
    return dependent_id(patient.get_value("NM109"), insured.get_value("NM109"), patient.get_value("NM103"),
                        patient.get_value("NM104"))


def _name(person: Any) -> tuple[str, str]:
    return ((person.get_value("NM103") or "").strip().upper(), (person.get_value("NM104") or "").strip().upper())


def _adjustments(segments: Iterable[Any]) -> list[tuple[str, str, float]]:
    """(group, CARC, amount) of CAS segments: up to six reasons each."""
    found = []
    for cas in segments:
        group = cas.get_value("CAS01")
        for reason_at in (2, 5, 8, 11, 14, 17):
            reason = cas.get_value(f"CAS{reason_at:02d}")
            if reason:
                found.append((group, reason, float(cas.get_value(f"CAS{reason_at + 1:02d}") or 0)))
    return found


def _service(service: Any, claim_id: str, patient: str | None,
             claim_level: list[tuple[str, str, float]]) -> RemitLine:
    """A service payment; a line the payer left short without reasons of its own takes the claim's (a
    claim denied as a whole, CO-109 at the claim)."""
    adjustments = _adjustments(service.select("CAS"))
    charge, paid = float(service.get_value("SVC02") or 0), float(service.get_value("SVC03") or 0)
    if not adjustments and paid < charge:
        adjustments = [(group, reason, round(charge - paid, 2)) for group, reason, _ in claim_level]
    control = next((r.get_value("REF02") for r in service.select("REF") if r.get_value("REF01") == "6R"), None)
    day = next((d.get_value("DTM02") for d in service.select("DTM") if d.get_value("DTM01") in ("472", "150")), None)
    remarks = [r.get_value("LQ02") for r in service.select("LQ") if r.get_value("LQ02")]
    # SVC06 is the code as billed where the payer paid another (97014 billed, G0283 adjudicated): the
    # line is matched to the claim by what was billed.
    billed_as = "SVC06" if service.get_value("SVC06-2") else "SVC01"
    modifiers = tuple(m for m in (service.get_value(f"{billed_as}-{i}") for i in range(3, 7)) if m)
    return RemitLine(claim_id, control, service.get_value(f"{billed_as}-2") or "", modifiers,
                     f"{day[:4]}-{day[4:6]}-{day[6:8]}" if day and len(day) == 8 else day, patient,
                     charge, paid, adjustments, remarks)

"""Would ptcalc have caught a clinic's own denials? The scrubbed claims beside the payer's 835.

Each 835 service line is matched to the line it pays: by claim id and line item control number
(REF*6R), else by claim id and code, else by patient, date and code. Then, per denial reason
(CARC): the denied lines ptcalc flagged before submission (caught), those it did not (missed, each
with the rules that would cover the reason), and the paid lines it flagged (false alarms), with
dollars. A flag is a failing finding of severity error or warning (a bypassed pair is not). A line
billed expecting its denial (GA, GZ or GY: not medically necessary, or not a benefit) and denied is
`intended`, not a miss. A line paid in part, the rest adjusted for a denial reason of the table (CO-151
on one of three units), is denied in part: caught or missed for the dollars denied, not a false alarm
or a clean line.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from ..refdata.model import Reference
from ..scrub.lines import ChargeLine
from ..scrub.runner import ScrubResult
from .read835 import RemitLine

FLAGGING = ("error", "warning")


@dataclass
class Outcome:
    remit: RemitLine
    row: int | None  # the claims' sheet row it matched, None when it matched no line
    flags: list[str]  # rules that flagged the line
    verdict: str  # caught, missed, intended, false_alarm, clean, unmatched
    reason: str | None = None  # the first denial reason (CARC) for denied lines
    expected_rules: tuple[str, ...] = ()
    denied: float = 0.0  # the dollars denied: the charge, or the part adjusted for a denial reason

    @property
    def partly_denied(self) -> bool:
        return 0 < self.denied and self.remit.paid > 0

    @property
    def dollars(self) -> float:
        """The dollars the verdict is about: denied (caught, missed, intended), paid (a false alarm), billed."""
        if self.verdict in ("caught", "missed", "intended"):
            return self.denied
        return self.remit.paid if self.verdict == "false_alarm" else self.remit.charge


@dataclass
class Backtest:
    outcomes: list[Outcome]
    by_reason: dict[str, dict] = field(default_factory=dict)
    false_alarms_by_rule: dict[str, dict] = field(default_factory=dict)

    def totals(self) -> dict[str, object]:
        count = defaultdict(int)
        dollars = defaultdict(float)
        for outcome in self.outcomes:
            count[outcome.verdict] += 1
            dollars[outcome.verdict] += outcome.dollars
        return {verdict: {"lines": count[verdict], "dollars": round(dollars[verdict], 2)}
                for verdict in ("caught", "missed", "intended", "false_alarm", "clean", "unmatched")}

    def as_dict(self) -> dict:
        return {
            "totals": self.totals(),
            "by_reason": self.by_reason,
            "false_alarms_by_rule": self.false_alarms_by_rule,
            "lines": [{"claim_id": o.remit.claim_id, "line_control": o.remit.line_control, "code": o.remit.code,
                       "dos": o.remit.dos, "charge": o.remit.charge, "paid": o.remit.paid,
                       "reasons": o.remit.reasons, "row": o.row, "flags": o.flags, "verdict": o.verdict,
                       **({"partly_denied": round(o.denied, 2)} if o.partly_denied else {}),
                       **({"would_catch": list(o.expected_rules)} if o.verdict == "missed" else {})}
                      for o in self.outcomes],
        }


def _keys(result: ScrubResult) -> tuple[dict, dict, dict]:
    header = [str(h) for h in result.sheet.rows[result.header_index]]
    control_at = header.index("line_control") if "line_control" in header else None
    by_control, by_claim_code, by_visit_code = {}, defaultdict(list), defaultdict(list)
    for line in result.lines:
        row = result.sheet.rows[line.row - 1]
        if control_at is not None and control_at < len(row) and row[control_at]:
            by_control[(line.claim_id, str(row[control_at]))] = line.row
        by_claim_code[(line.claim_id, line.cpt)].append(line.row)
        by_visit_code[(line.patient_id, line.dos.isoformat() if line.dos else None, line.cpt)].append(line.row)
    return by_control, by_claim_code, by_visit_code


def backtest(result: ScrubResult, remits: list[RemitLine], ref: Reference) -> Backtest:
    by_control, by_claim_code, by_visit_code = _keys(result)
    used: set[int] = set()

    def match(remit: RemitLine) -> int | None:
        found = by_control.get((remit.claim_id, remit.line_control))
        if found is not None:
            return found
        for rows in (by_claim_code.get((remit.claim_id, remit.code), []),
                     by_visit_code.get((remit.patient_id, remit.dos, remit.code), [])):
            free = [r for r in rows if r not in used]
            if free:
                return free[0]
        return None

    outcomes = []
    lines = {line.row: line for line in result.lines}
    by_reason: dict[str, dict] = {}
    false_alarms: dict[str, dict] = {}
    for remit in remits:
        row = match(remit)
        if row is not None:
            used.add(row)
        flags = sorted({f.rule for f in result.by_row.get(row, []) if f.status == "fail" and f.severity in FLAGGING})
        reason, denied = _denial(remit, ref)
        expected = ref.denial_reasons.get(reason, ("", ()))[1] if reason else ()
        if row is None:
            verdict = "unmatched"
        elif denied:
            verdict = "caught" if flags else "intended" if _billed_for_denial(lines.get(row), ref) else "missed"
        else:
            verdict = "false_alarm" if flags else "clean"
        outcomes.append(Outcome(remit, row, flags, verdict, reason, expected, denied))
        if denied and reason:
            entry = by_reason.setdefault(reason, {
                "carc": reason, "meaning": ref.denial_reasons.get(reason, ("not in the reference table", ()))[0],
                "denied": 0, "caught": 0, "caught_by_expected_rule": 0, "missed": 0, "intended": 0, "unmatched": 0,
                "dollars_denied": 0.0, "dollars_caught": 0.0})
            entry["denied"] += 1
            entry["dollars_denied"] = round(entry["dollars_denied"] + denied, 2)
            if verdict in ("caught", "missed", "intended", "unmatched"):
                entry[verdict] += 1
            if verdict == "caught":
                entry["dollars_caught"] = round(entry["dollars_caught"] + denied, 2)
                entry["caught_by_expected_rule"] += bool(set(flags) & set(expected))
        if verdict == "false_alarm":
            for rule in flags:
                entry = false_alarms.setdefault(rule, {"rule": rule, "lines": 0, "dollars_paid": 0.0})
                entry["lines"] += 1
                entry["dollars_paid"] = round(entry["dollars_paid"] + remit.paid, 2)
    return Backtest(outcomes, dict(sorted(by_reason.items())), dict(sorted(false_alarms.items())))


def _denial(remit: RemitLine, ref: Reference) -> tuple[str | None, float]:
    """The line's denial reason and the dollars denied: the charge of a line paid nothing for a denial; of a
    line paid in part, what was adjusted for the reasons of the denial table (reference/carc.yaml), not an
    adjustment it does not list (a MIPS penalty, CO-237, on a paid line is no denial)."""
    if remit.denied:
        return remit.reason, remit.charge
    partial = [(reason, amount) for _, reason, amount in remit.denial_adjustments
               if reason in ref.denial_reasons and amount > 0]
    if remit.paid <= 0 or not partial:
        return None, 0.0
    return partial[0][0], round(sum(amount for _, amount in partial), 2)


def _billed_for_denial(line: ChargeLine | None, ref: Reference) -> bool:
    """The line carries GA, GZ or GY (reference/modifiers.yaml, kind liability): its denial was the intent."""
    return line is not None and any(ref.modifiers[m].kind == "liability" for m in line.modifiers if m in ref.modifiers)

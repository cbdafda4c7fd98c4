"""PTP: NCCI procedure-to-procedure edits, and same-day evaluation exclusions."""
from __future__ import annotations

from collections.abc import Iterator

from ...refdata.model import PtpPair
from ..context import ScrubContext
from ..findings import Finding
from ..lines import ChargeLine
from .base import Rule

NCCI = "CMS NCCI procedure-to-procedure edits (reference/ptp.yaml, with each pair's source)"


def _pairs(ctx: ScrubContext) -> list[tuple[ChargeLine, ChargeLine, PtpPair | None]]:
    """(column-1 line, column-2 line on the same visit, pair) for pairs in force, and payer
    overrides that have no pair in the table (pair None). Shared by PTP001 and PTP002."""
    return ctx.memo("ptp_pairs", lambda: list(_find_pairs(ctx)))


def _find_pairs(ctx: ScrubContext) -> Iterator[tuple[ChargeLine, ChargeLine, PtpPair | None]]:
    """Column-1 lines come from the code index; their visit is searched for the column-2 code."""
    table = ctx.ref.ptp.by_column1
    overridden = {key for profile in ctx.ref.payers for key in profile.ptp_overrides}
    column1 = set(table) | {first for first, _ in overridden}
    for first in ctx.select(code=lambda code: code in column1):
        visit = ctx.visit_of(first)
        pairs = [p for p in table.get(first.cpt, ()) if p.modifier_indicator != 9 and p.in_force(visit.dos)]
        listed = {p.column2 for p in table.get(first.cpt, ())}
        for second in visit.lines:
            for pair in pairs:
                if second.cpt == pair.column2:
                    yield first, second, pair
            if (first.cpt, second.cpt) in overridden and second.cpt not in listed:
                yield first, second, None


def _confidence_note(pair: PtpPair | None) -> str:
    if pair is None or pair.confidence == "high":
        return ""
    return f" (pair from a secondary source, {pair.confidence} confidence: confirm against the current CMS PTP file)"


class NcciPairNeedsModifier(Rule):
    id = "PTP001"
    name = "ncci-pair-needs-modifier"
    severity = "error"
    condition = ("An NCCI pair with modifier indicator 1 on one visit: the column-2 code is denied without a bypass "
                 "modifier (flagged on the column-2 line; status bypassed when it carries 59/XE/XS/XP/XU)")
    fix = ("Add 59 or XE/XS/XP/XU to the column-2 line only if the services were distinct (e.g. separate "
           "15-minute time blocks), and document why")
    source = NCCI
    applies = staticmethod(lambda profile: profile.ncci_applies)

    def check(self, ctx: ScrubContext) -> Iterator[Finding]:
        bypass = set(ctx.ref.constant("ncci_bypass_modifiers"))
        for first, second, pair in _pairs(ctx):
            if pair is None or pair.modifier_indicator != 1 or not self.applies_to(ctx, second):
                continue
            override = ctx.profile(second).ptp_overrides.get((first.cpt, second.cpt))
            if override is not None and override.deny_with_modifier:
                continue  # PTP002 reports it: no modifier helps with this payer
            used = [m for m in second.modifiers if m in bypass]
            severity = "warning" if pair.confidence == "low" else None
            note = _confidence_note(pair)
            if used:
                yield self.finding(
                    ctx, second, f"{second.cpt} carries {'/'.join(used)} to bypass the NCCI pair with "
                    f"{first.cpt} (row {first.row}): the record must show the services were distinct{note}",
                    status="bypassed", field="modifiers", amount=ctx.allowed(second), severity=severity)
            else:
                yield self.finding(
                    ctx, second, f"{second.cpt} is column 2 of an NCCI pair with {first.cpt} (row {first.row}); "
                    f"without 59 or XE/XS/XP/XU it is denied{note}", field="modifiers",
                    amount=ctx.allowed(second), severity=severity)


class NcciPairNotBypassable(Rule):
    id = "PTP002"
    name = "ncci-pair-not-bypassable"
    severity = "error"
    condition = ("A pair with modifier indicator 0, or a payer override that denies the column-2 code even "
                 "with 59")
    fix = "Drop the column-2 line or move it to another date"
    source = NCCI + "; payer overrides in reference/payers.yaml"
    applies = staticmethod(lambda profile: profile.ncci_applies)

    def check(self, ctx: ScrubContext) -> Iterator[Finding]:
        for first, second, pair in _pairs(ctx):
            if not self.applies_to(ctx, second):
                continue
            override = ctx.profile(second).ptp_overrides.get((first.cpt, second.cpt))
            if pair is not None and pair.modifier_indicator == 0:
                why = "an NCCI pair with modifier indicator 0: no modifier bypasses it"
            elif override is not None and override.deny_with_modifier:
                why = f"{ctx.profile(second).label} denies it even with 59 ({override.source})"
            else:
                continue
            yield self.finding(ctx, second, f"{second.cpt} with {first.cpt} (row {first.row}) on one visit: "
                               f"{why}{_confidence_note(pair)}", amount=ctx.allowed(second))


class MoreThanOneEvaluation(Rule):
    id = "PTP003"
    name = "more-than-one-evaluation"
    severity = "error"
    condition = ("More than one evaluation/re-evaluation code of one discipline on one visit (flagged on each "
                 "such line after the first)")
    fix = "Keep one"
    source = "NCCI Policy Manual ch. XI (one evaluation per discipline per day); MUE 1 per date for 97161-97168"
    applies = staticmethod(lambda profile: profile.ncci_applies)

    def check(self, ctx: ScrubContext) -> Iterator[Finding]:
        first: dict[tuple, ChargeLine] = {}
        evaluations = ctx.select(code=lambda code: ctx.ref.codes[code].is_evaluation)
        for line in sorted(evaluations, key=lambda l: l.row):
            info = ctx.code(line)
            if not self.applies_to(ctx, line):
                continue
            key = (id(ctx.visit_of(line)), info.discipline)
            if key in first:
                earlier = first[key]
                yield self.finding(ctx, line, f"{line.cpt} is a second {info.discipline} evaluation code on this "
                                   f"visit (row {earlier.row} has {earlier.cpt})", amount=ctx.allowed(line))
            else:
                first[key] = line


class TestIncludedInEvaluation(Rule):
    id = "PTP004"
    name = "test-included-in-evaluation"
    severity = "error"
    condition = "97750 (or another code the tables mark inclusive) billed on the date of an evaluation"
    fix = "Drop it or bill it on another date"
    source = "NCCI v24.0 edits of 97750/97755 with PT/OT evaluations; reference/codes.yaml inclusive_with_evaluation"
    applies = staticmethod(lambda profile: profile.ncci_applies)

    def check(self, ctx: ScrubContext) -> Iterator[Finding]:
        for line in self.lines(ctx, code=lambda code: ctx.ref.codes[code].inclusive_with_evaluation):
            day = ctx.days[(line.patient_id, line.dos)]
            evaluation = next((l for l in day if ctx.code(l).is_evaluation), None)
            if evaluation is not None:
                yield self.finding(ctx, line, f"{line.cpt} on the date of evaluation {evaluation.cpt} "
                                   f"(row {evaluation.row}) is part of the evaluation", amount=ctx.allowed(line))

"""PTP: NCCI procedure-to-procedure edits, and same-day evaluation exclusions."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date

from ...info import ptp_vintage_end
from ...refdata import Reference
from ...refdata.model import PtpPair
from ..context import ScrubContext, remembered
from ..findings import Finding
from ..lines import ChargeLine
from .base import Rule

NCCI = "CMS NCCI practitioner procedure-to-procedure edits (reference/ptp.yaml: release and vintage in the report)"
# Evaluations of these disciplines: one per visit (PTP003). SLP evaluations are judged by the NCCI table alone.
ONE_EVALUATION_DISCIPLINES = ("PT", "OT")


def _pairs(ctx: ScrubContext) -> list[tuple[ChargeLine, ChargeLine, PtpPair | None]]:
    """(column-1 line, column-2 line on the same visit, pair) for edits in force on the visit's date, one per
    column-2 line and column-1 code (a code billed on two lines, a CQ/CO split of 97140, makes one edit with the
    column-2 line, denied once: its first line is named); payer overrides that have no edit in the table come
    with pair None. Shared by the PTP rules and MOD010."""
    return ctx.memo("ptp_pairs", lambda: list(_find_pairs(ctx)))


def _find_pairs(ctx: ScrubContext) -> Iterator[tuple[ChargeLine, ChargeLine, PtpPair | None]]:
    """Visit by visit (a visit of one line has no pair), code by code: a sheet whose patient or date column was
    misread can make a visit of thousands of lines, which line by line against each other took minutes. A line
    of 0 units is on no claim: it makes no pair."""
    table = ctx.ref.ptp.by_column1
    overridden = {key for profile in ctx.ref.payers for key in profile.ptp_overrides}
    column1 = set(table) | {first for first, _ in overridden}
    # (column-1 code, date) -> column-2 code -> the edit in force, shared by the partitions of a scrub
    edits: dict[tuple, dict[str, PtpPair]] = remembered(ctx.ref, "ptp_in_force")
    for visit in ctx.visits:
        if len(visit.lines) == 1:
            continue
        by_code: dict[str | None, list[ChargeLine]] = {}
        for line in visit.lines:
            if line.units != 0:
                by_code.setdefault(line.cpt, []).append(line)
        for code, firsts in by_code.items():
            if code not in column1:
                continue
            in_force = edits.get((code, visit.dos))
            if in_force is None:
                in_force = edits[(code, visit.dos)] = _edits_in_force(table.get(code, ()), visit.dos)
            first = firsts[0]
            for other, seconds in by_code.items():
                pair = in_force.get(other)
                if pair is not None or (code, other) in overridden:
                    yield from ((first, second, pair) for second in seconds if second is not first)


def _edits_in_force(pairs: Iterable[PtpPair], day: date) -> dict[str, PtpPair]:
    """Column-2 code -> the edit in force on `day`; a pair can have several rows (deleted, then re-added):
    one edit per pair, the strictest."""
    in_force: dict[str, PtpPair] = {}
    for pair in pairs:
        if pair.in_force(day) and (pair.column2 not in in_force or
                                   pair.modifier_indicator < in_force[pair.column2].modifier_indicator):
            in_force[pair.column2] = pair
    return in_force


def _vintage(ctx: ScrubContext, line: ChargeLine) -> str:
    """Said on a pair's finding when its date is past the quarter of the PTP table's vintage (ptp_vintage_note)."""
    quarter_end, said = ctx.memo("ptp_vintage", lambda: _vintage_said(ctx.ref))
    return said if quarter_end is not None and line.dos >= quarter_end else ""


def _vintage_said(ref: Reference) -> tuple[date | None, str]:
    quarter_end = ptp_vintage_end(ref)
    return quarter_end, f" (NCCI edits of {ref.ptp.in_force_on:%B %Y})" if quarter_end is not None else ""


def _confidence_note(pair: PtpPair | None) -> str:
    if pair is None or pair.confidence == "high":
        return ""
    return f" (pair from a secondary source, {pair.confidence} confidence: confirm against the current CMS PTP file)"


def _rationale(pair: PtpPair | None) -> str:
    return f"; CMS rationale: {pair.rationale.lower()}" if pair is not None and pair.rationale else ""


def reported_elsewhere(ctx: ScrubContext, first: ChargeLine, second: ChargeLine, pair: PtpPair | None) -> bool:
    """Pairs PTP003 (two evaluations of one discipline) or PTP004 (a test on an evaluation's date) report."""
    one, two = ctx.code(first), ctx.code(second)
    if one.is_evaluation and two.is_evaluation and one.discipline == two.discipline \
            and one.discipline in ONE_EVALUATION_DISCIPLINES:
        return True
    return one.is_evaluation and two.family == "test" and pair is not None and pair.modifier_indicator == 0


class NcciPairNeedsModifier(Rule):
    id = "PTP001"
    absent_value_of = "modifiers"
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
            if pair is None or pair.modifier_indicator != 1 or not self.applies_to(ctx, second) \
                    or reported_elsewhere(ctx, first, second, pair):
                continue
            override = ctx.profile(second).ptp_overrides.get((first.cpt, second.cpt))
            if override is not None and override.deny_with_modifier:
                continue  # PTP002 reports it: no modifier helps with this payer
            used = [m for m in second.modifiers if m in bypass]
            severity = "warning" if pair.confidence == "low" else None
            note = _rationale(pair) + _confidence_note(pair) + _vintage(ctx, second)
            if used:
                yield self.finding(
                    ctx, second, f"{second.cpt} carries {'/'.join(used)} to bypass the NCCI pair with "
                    f"{first.cpt} (row {first.row}): the record must show the services were distinct{note}",
                    status="bypassed", field="modifiers", amount=ctx.allowed(second), severity=severity)
            else:
                # The modifier goes on the column-2 code (CMS, "Proper Use of Modifiers 59 & -X{EPSU}")
                misplaced = [m for m in first.modifiers if m in bypass]
                where = (f" ({'/'.join(misplaced)} is on {first.cpt}, the column-1 code: it belongs on "
                         f"{second.cpt})") if misplaced else ""
                yield self.finding(
                    ctx, second, f"{second.cpt} is column 2 of an NCCI pair with {first.cpt} (row {first.row}); "
                    f"without 59 or XE/XS/XP/XU it is denied{where}{note}", field="modifiers",
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
            if not self.applies_to(ctx, second) or reported_elsewhere(ctx, first, second, pair):
                continue
            override = ctx.profile(second).ptp_overrides.get((first.cpt, second.cpt))
            if pair is not None and pair.modifier_indicator == 0:
                why = (f"an NCCI pair with modifier indicator 0: no modifier bypasses it{_rationale(pair)}"
                       f"{_confidence_note(pair)}{_vintage(ctx, second)}")
            elif override is not None and override.deny_with_modifier:  # the payer's policy, not an NCCI edit
                payer = second.payer or ctx.profile(second).label
                why = f"the payer ({payer}) denies {second.cpt} with {first.cpt} even with 59 ({override.source})"
            else:
                continue
            yield self.finding(ctx, second, f"{second.cpt} with {first.cpt} (row {first.row}) on one visit: {why}",
                               amount=ctx.allowed(second))


class MoreThanOneEvaluation(Rule):
    id = "PTP003"
    name = "more-than-one-evaluation"
    severity = "error"
    condition = ("More than one PT or OT evaluation/re-evaluation code (97161-97168) on one visit (flagged on "
                 "each such line after the first)")
    fix = "Keep one"
    source = "NCCI Policy Manual ch. XI (one evaluation per discipline per day); MUE 1 per date for 97161-97168"
    applies = staticmethod(lambda profile: profile.ncci_applies)

    def check(self, ctx: ScrubContext) -> Iterator[Finding]:
        first: dict[tuple, ChargeLine] = {}
        evaluations = ctx.select(code=lambda code: ctx.ref.codes[code].is_evaluation
                                 and ctx.ref.codes[code].discipline in ONE_EVALUATION_DISCIPLINES)
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
    condition = ("A test or measurement code (97750, 97755, 95851, 95852) on the visit of an evaluation it has an "
                 "NCCI edit with (modifier indicator 0)")
    fix = "Drop it or bill it on another date"
    source = NCCI
    applies = staticmethod(lambda profile: profile.ncci_applies)

    def check(self, ctx: ScrubContext) -> Iterator[Finding]:
        for first, second, pair in _pairs(ctx):
            if pair is None or pair.modifier_indicator != 0 or not self.applies_to(ctx, second):
                continue
            if ctx.code(first).is_evaluation and ctx.code(second).family == "test":
                yield self.finding(ctx, second, f"{second.cpt} on the visit of evaluation {first.cpt} "
                                   f"(row {first.row}) is part of the evaluation: an NCCI edit no modifier bypasses"
                                   f"{_rationale(pair)}{_vintage(ctx, second)}", amount=ctx.allowed(second))


def visit_pairs(ctx: ScrubContext) -> set[int]:
    """ids of the lines that take part in an NCCI edit (either column) in force on their visit's date, or
    in a payer's own pair override: a bypass modifier has something to bypass there."""
    def edited(first: ChargeLine, second: ChargeLine, pair: PtpPair | None) -> bool:
        profile = ctx.profile(second)
        return pair is not None or (profile is not None and (first.cpt, second.cpt) in profile.ptp_overrides)

    def lines_in_edits() -> set[int]:
        ids: set[int] = set()
        expanded: set[int] = set()  # column-1 lines whose code's other lines on the visit are in `ids` already
        for first, second, pair in _pairs(ctx):
            if edited(first, second, pair):
                ids.add(id(second))
                if id(first) not in expanded:
                    expanded.add(id(first))
                    ids.update(id(line) for line in ctx.visit_of(first).lines
                               if line.cpt == first.cpt and line.units != 0)
        return ids

    return ctx.memo("ptp_lines", lines_in_edits)

"""MOD: modifiers — discipline (GP/GO/GN), KX, assistants (CQ/CO), unknown and 59 vs X{EPSU}."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from ...assistant import AssistantUnits, assistant_units
from ...kx import money
from ...values import MODIFIER_SLOTS
from ..context import ScrubContext, remembered
from ..findings import Finding
from ..lines import ChargeLine
from ..names import CLINICIANS
from ..unfilled import discipline_unsaid
from .base import Rule
from .ptp import visit_pairs

ASSISTANT_MODIFIER = {"PT": "CQ", "OT": "CO"}
KX_SOURCE = "SSA §1833(g)(7)(A); KX thresholds in reference/thresholds.yaml"
ASSISTANT_SOURCE = "SSA §1834(v); CY 2020 PFS final rule (10% de minimis); CMS CQ/CO billing examples"


def discipline_modifiers(ctx: ScrubContext) -> dict[str, str]:
    """GP -> PT, GO -> OT, GN -> SLP, from reference/modifiers.yaml."""
    return {m.modifier: m.discipline for m in ctx.ref.modifiers.values() if m.kind == "discipline"}


class MissingDisciplineModifier(Rule):
    id = "MOD001"
    absent_value_of = "modifiers"
    name = "missing-discipline-modifier"
    severity = "error"
    condition = ("A therapy line without GP (PT/PTA), GO (OT/OTA) or GN (SLP), where the payer requires it (a "
                 "warning where only the claim's second payer does: the claim it gets after the primary's carries "
                 "the same lines). Status no_data on an export whose modifiers have none on any line of a payer "
                 "type's two or more visits: its billing system adds them to those claims. Not on a physician's or "
                 "a nonphysician practitioner's line of a \"sometimes therapy\" code (one without the therapy "
                 "MPPR's indicator 5 in the fee schedule, which marks the \"always therapy\" codes): Medicare "
                 "processes their claims without one")
    fix = "Add GP, GO or GN"
    source = ("CMS Pub. 100-04 ch.5 §20.1; always-therapy codes carry GP/GO/GN (MLN 2018); ch.5 §20, the applicable "
              "outpatient rehabilitation codes: claims from physicians and nonphysician practitioners may be "
              "processed without therapy modifiers for the sometimes-therapy codes (WPS, Outpatient Therapy Code "
              "Modifiers); PFS multiple procedure indicator 5, the therapy MPPR of the always-therapy codes (ch.5 "
              "§10.7)")
    applies = staticmethod(lambda profile: profile.discipline_modifier_required)

    def check(self, ctx: ScrubContext) -> Iterator[Finding]:
        wanted = {d: m for m, d in discipline_modifiers(ctx).items()}
        missing = set(wanted.values()).isdisjoint
        for line in self.lines(ctx, modifiers=missing):
            if not ctx.outside_therapy(line):
                yield self._missing(ctx, line, wanted, f"{ctx.profile(line).label} requires one on every therapy "
                                    "line")
        for line in self.lines_for_second_payers(ctx, modifiers=missing):
            if ctx.outside_therapy(line):
                continue
            second = ctx.secondary_profile(line)
            yield self._missing(ctx, line, wanted, f"{second.label}, the claim's second payer "
                                f"({line.secondary_payer}), requires one on every therapy line: the claim it gets "
                                "after the primary's carries this line", severity="warning")

    def _missing(self, ctx: ScrubContext, line: ChargeLine, wanted: dict[str, str], why: str,
                 severity: str | None = None) -> Finding:
        modifier = wanted.get(line.discipline or "PT", "GP")
        message = f"{line.cpt} has no GP, GO or GN modifier; {why}"
        if discipline_unsaid(ctx.columns, line.payer_type):  # an export whose system adds them (unfilled.py)
            return self.finding(ctx, line, "the sheet's modifiers have no GP, GO or GN on this payer's lines (its "
                                f"billing system may add them to the claim); if the claim has none either: {message}",
                                field="modifiers", status="no_data", severity=severity,
                                fix=f"Check the claim carries {modifier}")
        fix = f"Add {modifier} (the provider is {line.provider_type or 'a PT'})" if line.rendered_by not in CLINICIANS \
            else f"Add the modifier of the plan of care it was furnished under: GP, GO or GN ({line.rendered_by})"
        return self.finding(ctx, line, message, field="modifiers", amount=ctx.allowed(line) if severity is None
                            else None, severity=severity, fix=fix)


class WrongDisciplineModifier(Rule):
    id = "MOD002"
    name = "wrong-discipline-modifier"
    severity = "error"
    condition = "A discipline modifier that does not match the provider (e.g. GN on a PT line)"
    fix = "Use the matching one"
    source = "CMS Pub. 100-04 ch.5 §20.1"
    needs = ("patient_id", "dos", "cpt", "provider_type")

    def check(self, ctx: ScrubContext) -> Iterator[Finding]:
        by_modifier = discipline_modifiers(ctx)
        wanted = {d: m for m, d in by_modifier.items()}
        wrong: dict[tuple, list[tuple[str, str]]] = {}  # (modifiers, provider type) -> the modifiers that differ
        for line in self.lines(ctx, modifiers=lambda mods: bool(set(mods) & set(by_modifier))):
            key = (line.modifiers, line.provider_type)
            differing = wrong.get(key)
            if differing is None:
                differing = wrong[key] = [(m, d) for m in line.modifiers
                                          if (d := by_modifier.get(m)) and d != line.discipline]
            for modifier, discipline in differing:
                article = "an" if discipline in ("OT", "SLP") else "a"
                yield self.finding(ctx, line, f"{modifier} means {article} {discipline} plan of care but the provider "
                                   f"is {line.provider_type}", field="modifiers", amount=ctx.allowed(line),
                                   fix=f"Use {wanted.get(line.discipline, '?')} instead of {modifier}")


class _KxRule(Rule):
    applies = staticmethod(lambda profile: profile.kx_applies)

    @staticmethod
    def where(line: ChargeLine, ctx: ScrubContext) -> str:
        status = ctx.kx(line).status
        # National rates where the sheet names no locality: a clinic's own rates put the total ±10-50% away
        rates = " at national rates" if line.locality == "national" and "locality" not in ctx.columns else ""
        return (f"{line.patient_id}'s {status.year} {status.bucket} allowed total with this visit is "
                f"{money(status.total)}{rates}")


class MissingKx(_KxRule):
    id = "MOD003"
    absent_value_of = "modifiers"
    name = "missing-kx"
    severity = "error"
    condition = ("Medicare: the patient's allowed total for the year, with this line, exceeds the KX threshold "
                 "and the line has no KX (status bypassed when GA, GZ or GY bills it expecting a denial: a service "
                 "that is not medically necessary)")
    fix = "Add KX if the record documents medical necessity"
    source = KX_SOURCE + "; NGS Medicare therapy billing guide (KX and GA modifiers)"

    def check(self, ctx: ScrubContext) -> Iterator[Finding]:
        for line in ctx.kx_attention:
            point = ctx.kx(line)
            if point.status is not None and "KX" in line.modifiers:
                continue  # over the threshold and billed with KX (most such lines)
            if not self.applies_to(ctx, line):
                continue
            if point.status is None:
                yield self.finding(ctx, line, f"the KX total cannot be computed: {point.problem}",
                                   status="no_data", field=None)
                continue
            allowed = ctx.allowed(line)
            if point.status.needs_kx and "KX" not in line.modifiers and allowed:
                status = point.status
                over = f"{self.where(line, ctx)}, over {status.threshold_words}"
                expected_denial = ctx.expected_denial(line)
                if expected_denial is None:
                    yield self.finding(ctx, line, f"{over}; the line has no KX", field="modifiers", amount=allowed)
                    continue
                # Above the threshold a service that is not medically necessary is billed without KX, with
                # GA when an ABN was signed (the patient pays) or GZ when not: the denial is the intent.
                meaning = ctx.ref.modifiers[expected_denial].meaning
                yield self.finding(ctx, line, f"{over}; no KX, and {expected_denial} ({meaning}) bills the line "
                                   "expecting Medicare to deny it", field="modifiers", status="bypassed",
                                   fix=f"None if the service is not medically necessary; if the record supports it, "
                                       f"bill KX instead of {expected_denial}")


class KxBelowThreshold(_KxRule):
    id = "MOD004"
    name = "kx-below-threshold"
    severity = "warning"
    condition = ("KX on a line while the running total is below the threshold, on a sheet that says the patients' "
                 "allowed dollars before it (a ytd_prior column): an export of one day's or week's charges without "
                 "one cannot show a patient is below")
    fix = "Remove KX"
    source = KX_SOURCE

    def check(self, ctx: ScrubContext) -> Iterator[Finding]:
        for line in self.lines(ctx, modifiers=lambda mods: "KX" in mods):
            point = ctx.kx(line)
            if point is None or point.status is None or point.status.needs_kx or not point.prior_known:
                continue
            status = point.status
            yield self.finding(ctx, line, f"KX on a line while {self.where(line, ctx)}, "
                               f"{money(status.threshold - status.total)} below {status.threshold_words}",
                               field="modifiers")


@dataclass
class AssistantGroup:
    """One code on one visit (a CQ/CO split puts it on several lines) and how many units need CQ/CO."""

    lines: list[ChargeLine]
    modifier: str  # CQ or CO
    judged: AssistantUnits
    assistant_minutes: float
    total_minutes: float

    @property
    def who(self) -> str:
        """Whose minutes these are, in words."""
        assistants = {l.provider_type for l in self.lines if l.is_assistant and l.pta_minutes is None}
        if assistants and len(assistants) == 1 and all(l.is_assistant for l in self.lines):
            assistant = assistants.pop()
            return f"the rendering provider is {'an' if assistant == 'OTA' else 'a'} {assistant}"
        return f"the assistant furnished {self.assistant_minutes:g} of {self.total_minutes:g} minutes"

    @property
    def cq_units(self) -> int:
        return sum(l.units for l in self.lines if self.modifier in l.modifiers)

    def billing(self) -> str:
        """The billing the rule asks for, in a biller's words."""
        first = self.lines[0]
        discipline = {"CQ": "GP", "CO": "GO"}[self.modifier]
        plain, assisted = self.judged.units - self.judged.cq_min, self.judged.cq_min
        if not assisted:
            return f"Bill {first.cpt} with {discipline} and without {self.modifier}"
        if not plain:
            return f"Bill all {assisted} unit{'s' if assisted != 1 else ''} of {first.cpt} with {discipline} {self.modifier}"
        return (f"Bill {plain} unit{'s' if plain != 1 else ''} of {first.cpt} with {discipline} and {assisted} "
                f"unit{'s' if assisted != 1 else ''} with {discipline} {self.modifier} on separate lines")


def _assistant_minutes(line: ChargeLine, recorded: bool) -> float | None:
    """Minutes the assistant furnished on their own: pta_minutes, else all of an assistant's line, else 0
    where the sheet records assistant minutes. Where it does not (most exports, every 837: the
    supervising PT is the rendering provider of a CQ line), nothing is known: None."""
    if line.pta_minutes is not None:
        return line.pta_minutes
    if line.is_assistant:
        return line.minutes
    return 0.0 if recorded else None


def assistant_groups(ctx: ScrubContext) -> list[AssistantGroup]:
    """Every PT/OT code on a visit (not evaluations) whose minutes let the CQ/CO units be judged."""
    return ctx.memo("assistant_groups", lambda: list(_assistant_groups(ctx)))


_UNREADABLE_FOR_GROUPS = frozenset({"minutes", "pta_minutes", "provider_type", "units"})


def _code_totals(lines: list[ChargeLine], expected: dict[int, int | None],
                 recorded: bool) -> tuple[int, int, float | None, float | None, bool] | None:
    """One code's lines on a visit (usually one), in one pass: units, expected units, minutes and the assistant's
    minutes (None where a line's are not known), and whether an assistant rendered them all; None when a line's
    units, minutes, assistant minutes or provider cannot be read."""
    units = expected_units = 0
    minutes: float | None = 0
    shares: float | None = 0
    whole_by_assistant = True
    for line in lines:
        if line.units is None or (line.bad and not line.bad.isdisjoint(_UNREADABLE_FOR_GROUPS)):
            return None
        units += line.units
        expected_units += expected.get(line.row) or 0
        share = _assistant_minutes(line, recorded)
        shares = None if share is None or shares is None else shares + share
        minutes = None if line.minutes is None or minutes is None else minutes + line.minutes
        whole_by_assistant = whole_by_assistant and line.is_assistant and line.pta_minutes is None
    return units, expected_units, minutes, shares, whole_by_assistant


def _assistant_groups(ctx: ScrubContext) -> Iterator[AssistantGroup]:
    de_minimis = ctx.ref.constant("assistant_de_minimis")
    expected = ctx.expected_units_by_row()
    recorded = "pta_minutes" in ctx.columns
    judgements = remembered(ctx.ref, "assistant_units")  # the same minutes and units, the same judgement
    for visit in ctx.visits:
        if not visit.assisted:
            continue  # no assistant and no CQ/CO: no unit needs CQ/CO and none carries it (most visits)
        modifier = ASSISTANT_MODIFIER.get(visit.discipline)
        if modifier is None:
            continue
        by_code: dict[str, list[ChargeLine]] = {}
        for line in visit.lines:
            by_code.setdefault(line.cpt, []).append(line)
        for code, lines in by_code.items():
            info = ctx.ref.codes[code]
            if info.is_evaluation or info.timing == "other":
                continue
            totals = _code_totals(lines, expected, recorded)
            if totals is None:
                continue
            units, expected_units, minutes, shares, whole_by_assistant = totals
            timed = info.timed
            if minutes is None or (not timed and shares is None):
                if not whole_by_assistant:
                    continue  # a timed code's: UNT005 asks for the minutes
                # The assistant rendered all of it (an export without minutes): every unit is the assistant's
                minutes = shares = float(len(lines))
                timed = False
            if shares is None:
                continue
            total, assistant = float(minutes), float(shares)
            supported = (expected_units or None) if timed else None
            key = (units, total, assistant, timed, de_minimis, supported)
            judged = judgements.get(key)
            if judged is None:
                judged = judgements[key] = assistant_units(units, total, assistant, timed=timed,
                                                           de_minimis=de_minimis, supported_units=supported)
            yield AssistantGroup(sorted(lines, key=lambda l: l.row), modifier, judged, assistant, total)


class MissingAssistantModifier(Rule):
    id = "MOD005"
    absent_value_of = "modifiers"
    name = "missing-assistant-modifier"
    severity = "error"
    condition = ("Medicare: a unit the assistant furnished in whole or in part (above the 10% de minimis, judged per "
                 "15-minute unit with the CY2022 rule for the final unit; every unit of a line the assistant rendered "
                 "whole, minutes or not) is billed without CQ (PT) / CO (OT)")
    fix = "Bill those units on their own line with CQ/CO (paid at 85%); the fix states the split"
    source = ASSISTANT_SOURCE
    needs = ("patient_id", "dos", "cpt", "minutes", "pta_minutes", "provider_type")
    applies = staticmethod(lambda profile: profile.assistant_modifiers_apply)

    def check(self, ctx: ScrubContext) -> Iterator[Finding]:
        for group in assistant_groups(ctx):
            judged, have = group.judged, group.cq_units
            if have >= judged.cq_min:
                continue
            line = next(l for l in group.lines if group.modifier not in l.modifiers)
            if not self.applies_to(ctx, line):
                continue
            need = judged.cq_min
            yield self.finding(ctx, line, f"{line.cpt}: {group.who}; {judged.reason}: {need} of {judged.units} "
                               f"unit{'s' if judged.units != 1 else ''} need{'s' if need == 1 else ''} "
                               f"{group.modifier}, {have} carr{'ies' if have == 1 else 'y'} it",
                               field="modifiers", amount=ctx.allowed(line),
                               fix=f"{group.billing()} (units with {group.modifier} are paid at 85%)")


class AssistantModifierOnEvaluation(Rule):
    id = "MOD006"
    name = "assistant-modifier-on-evaluation"
    severity = "error"
    condition = "CQ/CO on an evaluation or re-evaluation line"
    fix = "Remove it; assistants do not evaluate"
    source = "CMS Pub. 100-02 ch.15 §230.1 (evaluations are furnished by the therapist); CQ/CO billing examples"

    def check(self, ctx: ScrubContext) -> Iterator[Finding]:
        for line in self.lines(ctx, modifiers=lambda mods: "CQ" in mods or "CO" in mods):
            found = [m for m in line.modifiers if m in ("CQ", "CO")]
            if ctx.code(line).is_evaluation:
                yield self.finding(ctx, line, f"{'/'.join(found)} on {line.cpt}, an evaluation code",
                                   field="modifiers", amount=ctx.allowed(line))


class AssistantModifierWithoutAssistant(Rule):
    id = "MOD007"
    name = "assistant-modifier-without-assistant"
    severity = "warning"
    condition = ("CQ/CO on more units than the assistant furnished beyond the de minimis (pta_minutes 0, empty, or "
                 "within 10% of every unit), where the sheet records assistant minutes")
    fix = "Remove CQ/CO from the therapist's units (each loses 15% for nothing), or record the assistant's minutes"
    source = ASSISTANT_SOURCE
    needs = ("patient_id", "dos", "cpt", "pta_minutes", "provider_type")

    def check(self, ctx: ScrubContext) -> Iterator[Finding]:
        for group in assistant_groups(ctx):
            judged, have = group.judged, group.cq_units
            if have <= judged.cq_max:
                continue
            line = next(l for l in group.lines if group.modifier in l.modifiers)
            if not self.applies_to(ctx, line):
                continue
            allowed = ctx.allowed(line)
            excess = have - judged.cq_max
            lost = (allowed * Decimal(excess) / Decimal(line.units) * Decimal(15) / Decimal(85)).quantize(
                Decimal("0.01")) if allowed is not None and line.units else None
            at_most = ("none is the assistant's" if judged.cq_max == 0 else
                       f"at most {judged.cq_max} {'is' if judged.cq_max == 1 else 'are'} the assistant's")
            yield self.finding(ctx, line, f"{group.modifier} on {have} unit{'s' if have != 1 else ''} of {line.cpt}, "
                               f"but {at_most} (assistant {group.assistant_minutes:g} of {group.total_minutes:g} "
                               f"minutes; {judged.reason})", field="modifiers", amount=lost,
                               fix=f"{group.billing()}; or record the assistant's minutes if they are missing")


class UnknownModifier(Rule):
    id = "MOD008"
    name = "unknown-modifier"
    severity = "warning"
    condition = "A modifier that is not in the reference list"
    fix = "Correct it"
    source = "reference/modifiers.yaml"

    def check(self, ctx: ScrubContext) -> Iterator[Finding]:
        known = ctx.ref.modifiers
        for line in self.lines(ctx, modifiers=lambda mods: any(m not in known for m in mods)):
            for modifier in line.modifiers:
                if modifier not in known:
                    near = _typed_for(modifier, ctx)
                    hint = f" ({' or '.join(near)}?)" if near else ""
                    yield self.finding(ctx, line, f"modifier {modifier!r} is not a modifier ptcalc knows{hint}",
                                       field="modifiers")


# The modifiers that change how a therapy line is judged or paid: the ones a typo most likely meant
_THERAPY_KINDS = frozenset({"discipline", "assistant", "threshold", "ncci_bypass", "telehealth", "liability"})
_MAX_SUGGESTED = 3


def _typed_for(modifier: str, ctx: ScrubContext) -> list[str]:
    """The therapy modifier `modifier` is with its two characters swapped (`QC`: CQ), else those it is one wrong
    character from (`CW`: CQ or CO); none when more than a few are (`GB` is one letter from seven)."""
    therapy = [known for known, info in ctx.ref.modifiers.items()
               if info.kind in _THERAPY_KINDS and len(known) == len(modifier) == 2]
    if (swapped := modifier[::-1]) in therapy:
        return [swapped]
    near = sorted(known for known in therapy if sum(a != b for a, b in zip(known, modifier)) == 1)
    return near if len(near) <= _MAX_SUGGESTED else []


class PreferXModifier(Rule):
    id = "MOD009"
    name = "prefer-x-modifier"
    severity = "info"
    condition = "59 is used where the payer profile prefers XE/XS/XP/XU"
    fix = "Use the specific X modifier (XE separate encounter, XS structure, XP practitioner, XU unusual)"
    source = "CMS NCCI X{EPSU} modifiers (2015); payer profile prefer_x_modifiers"
    applies = staticmethod(lambda profile: profile.prefer_x_modifiers)

    def check(self, ctx: ScrubContext) -> Iterator[Finding]:
        for line in self.lines(ctx, modifiers=lambda mods: "59" in mods):
            yield self.finding(ctx, line, f"{line.cpt} uses 59; {ctx.profile(line).label} prefers XE, XS, XP "
                               "or XU", field="modifiers")


class BypassModifierWithoutEdit(Rule):
    id = "MOD010"
    name = "bypass-modifier-without-edit"
    severity = "warning"
    condition = ("59 or XE/XS/XP/XU on a line where no NCCI edit with another code of the visit applies on that "
                 "date (and the code is not billed on another line of the visit); info only for a payer whose profile "
                 "does not follow CMS (a commercial plan's own edits may pair codes NCCI does not)")
    fix = "Remove it: 59 without an edit to bypass draws audits"
    source = ("CMS NCCI Policy Manual ch. I (modifier 59 only to bypass a PTP edit); OIG reports on 59 misuse; "
              "reference/ptp.yaml")
    applies = staticmethod(lambda profile: profile.ncci_applies)

    def check(self, ctx: ScrubContext) -> Iterator[Finding]:
        bypass = set(ctx.ref.constant("ncci_bypass_modifiers"))
        edited = visit_pairs(ctx)
        for line in self.lines(ctx, modifiers=lambda mods: not bypass.isdisjoint(mods)):
            if id(line) in edited:
                continue
            visit = ctx.visit_of(line)
            if any(other is not line and other.cpt == line.cpt for other in visit.lines):
                continue  # the same code on two lines: 59/X marks distinct sites or sessions (UNT006, MUE)
            used = "/".join(m for m in line.modifiers if m in bypass)
            message = f"{line.cpt} carries {used}, but no NCCI edit pairs it with another code billed for " \
                      f"{line.patient_id} on {line.dos}"
            if ctx.profile(line).follows_cms:
                yield self.finding(ctx, line, message, field="modifiers")
            else:  # a plan's own edits, which ptcalc does not have, may pair codes NCCI does not: only said
                yield self.finding(ctx, line, f"{message}; {line.payer or 'this payer'} is not bound by NCCI and its "
                                   "own edits may ask for it", field="modifiers", severity="info",
                                   fix="Remove it unless the plan's own policy pairs these codes")


class MoreModifiersThanTheClaimHolds(Rule):
    id = "MOD011"
    name = "more-than-four-modifiers"
    severity = "warning"
    condition = "More than four modifiers on one line: a claim line holds four, and the rest are lost on the way"
    fix = "Keep the four the payer needs (GP/GO/GN, CQ/CO, KX, 59/X); drop the others"
    source = ("CMS Pub. 100-04 ch.26, item 24D (the CMS-1500 captures up to four modifiers); X12 005010X222A1 "
              "837P SV101-3 to SV101-6")

    def check(self, ctx: ScrubContext) -> Iterator[Finding]:
        for line in self.lines(ctx, modifiers=lambda mods: len(set(mods)) > MODIFIER_SLOTS):
            distinct = tuple(dict.fromkeys(line.modifiers))  # one written twice is one modifier
            kept, lost = distinct[:MODIFIER_SLOTS], distinct[MODIFIER_SLOTS:]
            yield self.finding(ctx, line, f"{line.cpt} carries {len(distinct)} modifiers "
                               f"({' '.join(distinct)}); a claim line holds {MODIFIER_SLOTS}: "
                               f"{' '.join(kept)} fit, {' '.join(lost)} would not", field="modifiers")

"""MOD: modifiers — discipline (GP/GO/GN), KX, assistants (CQ/CO), unknown and 59 vs X{EPSU}."""
from __future__ import annotations

from collections.abc import Iterator

from ...kx import money
from ..context import ScrubContext
from ..findings import Finding
from ..lines import ChargeLine
from .base import Rule

ASSISTANT_MODIFIER = {"PT": "CQ", "OT": "CO"}
KX_SOURCE = "SSA §1833(g)(7)(A); KX thresholds in reference/thresholds.yaml"
ASSISTANT_SOURCE = "SSA §1834(v); CY 2020 PFS final rule (10% de minimis); CMS CQ/CO billing examples"


def discipline_modifiers(ctx: ScrubContext) -> dict[str, str]:
    """GP -> PT, GO -> OT, GN -> SLP, from reference/modifiers.yaml."""
    return {m.modifier: m.discipline for m in ctx.ref.modifiers.values() if m.kind == "discipline"}


class MissingDisciplineModifier(Rule):
    id = "MOD001"
    name = "missing-discipline-modifier"
    severity = "error"
    condition = "A therapy line without GP (PT/PTA), GO (OT/OTA) or GN (SLP), where the payer requires it"
    fix = "Add GP, GO or GN"
    source = "CMS Pub. 100-04 ch.5 §20.1; always-therapy codes carry GP/GO/GN (MLN 2018)"
    applies = staticmethod(lambda profile: profile.discipline_modifier_required)

    def check(self, ctx: ScrubContext) -> Iterator[Finding]:
        wanted = {d: m for m, d in discipline_modifiers(ctx).items()}
        for line in self.lines(ctx, modifiers=lambda mods: not set(mods) & set(wanted.values())):
            modifier = wanted.get(line.discipline or "PT", "GP")
            yield self.finding(ctx, line, f"{line.cpt} has no GP, GO or GN modifier; "
                               f"{ctx.profile(line).label} requires one on every therapy line",
                               field="modifiers", amount=ctx.allowed(line),
                               fix=f"Add {modifier} (the provider is {line.provider_type or 'a PT'})")


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
        for line in self.lines(ctx, modifiers=lambda mods: bool(set(mods) & set(by_modifier))):
            for modifier in line.modifiers:
                discipline = by_modifier.get(modifier)
                if discipline and discipline != line.discipline:
                    yield self.finding(ctx, line, f"{modifier} means a {discipline} plan of care but the provider is "
                                       f"{line.provider_type}", field="modifiers", amount=ctx.allowed(line),
                                       fix=f"Use {wanted.get(line.discipline, '?')} instead of {modifier}")


class _KxRule(Rule):
    applies = staticmethod(lambda profile: profile.kx_applies)

    @staticmethod
    def where(line: ChargeLine, ctx: ScrubContext) -> str:
        status = ctx.kx(line).status
        return (f"{line.patient_id}'s {status.year} {status.bucket} allowed total with this visit is "
                f"{money(status.total)}")


class MissingKx(_KxRule):
    id = "MOD003"
    name = "missing-kx"
    severity = "error"
    condition = ("Medicare: the patient's allowed total for the year, with this line, exceeds the KX threshold "
                 "and the line has no KX")
    fix = "Add KX if the record documents medical necessity"
    source = KX_SOURCE

    def check(self, ctx: ScrubContext) -> Iterator[Finding]:
        for line in ctx.kx_attention:
            if not self.applies_to(ctx, line):
                continue
            point = ctx.kx(line)
            if point.status is None:
                yield self.finding(ctx, line, f"the KX total cannot be computed: {point.problem}",
                                   status="no_data", field=None)
                continue
            allowed = ctx.allowed(line)
            if point.status.needs_kx and "KX" not in line.modifiers and allowed:
                status = point.status
                yield self.finding(ctx, line, f"{self.where(line, ctx)}, over the {status.year} KX threshold of "
                                   f"{money(status.threshold)}; the line has no KX", field="modifiers",
                                   amount=allowed)


class KxBelowThreshold(_KxRule):
    id = "MOD004"
    name = "kx-below-threshold"
    severity = "warning"
    condition = "KX on a line while the running total is below the threshold"
    fix = "Remove KX"
    source = KX_SOURCE

    def check(self, ctx: ScrubContext) -> Iterator[Finding]:
        for line in self.lines(ctx, modifiers=lambda mods: "KX" in mods):
            point = ctx.kx(line)
            if point is None or point.status is None or point.status.needs_kx:
                continue
            status = point.status
            yield self.finding(ctx, line, f"KX on a line while {self.where(line, ctx)}, "
                               f"{money(status.threshold - status.total)} below the {status.year} KX threshold of "
                               f"{money(status.threshold)}", field="modifiers")


def assistant_share(line: ChargeLine) -> float | None:
    """Share of the line's minutes a PTA/OTA furnished on their own (an assistant provider: all of it)."""
    if line.pta_minutes is None:
        return 1.0 if line.is_assistant else None
    if not line.minutes:
        return None
    return line.pta_minutes / line.minutes


class MissingAssistantModifier(Rule):
    id = "MOD005"
    name = "missing-assistant-modifier"
    severity = "error"
    condition = "Medicare: pta_minutes above 10% of the line's minutes and no CQ (PT) / CO (OT)"
    fix = "Add CQ/CO (paid at 85%)"
    source = ASSISTANT_SOURCE
    needs = ("patient_id", "dos", "cpt", "minutes", "pta_minutes", "provider_type")
    applies = staticmethod(lambda profile: profile.assistant_modifiers_apply)

    def check(self, ctx: ScrubContext) -> Iterator[Finding]:
        de_minimis = ctx.ref.constant("assistant_de_minimis")
        for line in self.lines(ctx):
            modifier = ASSISTANT_MODIFIER.get(line.discipline)
            share = assistant_share(line)
            if modifier is None or share is None or share <= de_minimis or ctx.code(line).is_evaluation:
                continue
            if modifier not in line.modifiers:
                by = (f"the assistant furnished {line.pta_minutes:g} of {line.minutes:g} minutes ({share:.0%})"
                      if line.pta_minutes is not None else f"the rendering provider is a {line.provider_type}")
                yield self.finding(ctx, line, f"{by}, above the {de_minimis:.0%} de minimis, and the line has no "
                                   f"{modifier}", field="modifiers", amount=ctx.allowed(line),
                                   fix=f"Add {modifier} (the line is paid at 85%)")


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
    condition = "CQ/CO is present and pta_minutes is 0 or empty"
    fix = "Check who furnished the service"
    source = ASSISTANT_SOURCE
    needs = ("patient_id", "dos", "cpt", "pta_minutes", "provider_type")

    def check(self, ctx: ScrubContext) -> Iterator[Finding]:
        for line in self.lines(ctx, modifiers=lambda mods: "CQ" in mods or "CO" in mods):
            found = [m for m in line.modifiers if m in ("CQ", "CO")]
            if not line.pta_minutes and not line.is_assistant and not ctx.code(line).is_evaluation:
                yield self.finding(ctx, line, f"{'/'.join(found)} says an assistant furnished part of {line.cpt}, "
                                   "but no assistant minutes are recorded", field="modifiers")


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
                    yield self.finding(ctx, line, f"modifier {modifier!r} is not a modifier ptcalc knows",
                                       field="modifiers")


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

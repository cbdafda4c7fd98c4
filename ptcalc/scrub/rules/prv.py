"""PRV: the rendering provider — assistants evaluating, and evaluation codes of another discipline."""
from __future__ import annotations

from collections.abc import Iterator

from ..context import ScrubContext
from ..findings import Finding
from .base import Rule


class AssistantBilledEvaluation(Rule):
    id = "PRV001"
    name = "assistant-billed-evaluation"
    severity = "error"
    condition = "provider_type PTA/OTA on an evaluation or re-evaluation line"
    fix = "The evaluating PT/OT must be the rendering provider"
    source = "CMS Pub. 100-02 ch.15 §230.1, §230.2 (assistants may not evaluate or re-evaluate)"
    needs = ("patient_id", "dos", "cpt", "provider_type")

    def check(self, ctx: ScrubContext) -> Iterator[Finding]:
        for line in self.lines(ctx, code=lambda code: ctx.ref.codes[code].is_evaluation):
            if line.is_assistant:
                yield self.finding(ctx, line, f"{line.cpt} ({ctx.code(line).label}) is billed with a "
                                   f"{line.provider_type} as the provider", field="provider_type",
                                   amount=ctx.allowed(line))


class DisciplineCodeMismatch(Rule):
    id = "PRV002"
    name = "discipline-code-mismatch"
    severity = "error"
    condition = "A PT evaluation code (97161-97164) by an OT, or an OT evaluation code (97165-97168) by a PT"
    fix = "Use the discipline's own code"
    source = "CPT evaluation code families (PT 97161-97164, OT 97165-97168, athletic trainer 97169-97172)"
    needs = ("patient_id", "dos", "cpt", "provider_type")

    def check(self, ctx: ScrubContext) -> Iterator[Finding]:
        for line in self.lines(ctx, code=lambda code: ctx.ref.codes[code].is_evaluation):
            info = ctx.code(line)
            if info.discipline != "therapy" and line.discipline and info.discipline != line.discipline:
                yield self.finding(ctx, line, f"{line.cpt} is a {info.discipline} evaluation code but the provider "
                                   f"is {line.provider_type}", field="provider_type", amount=ctx.allowed(line))

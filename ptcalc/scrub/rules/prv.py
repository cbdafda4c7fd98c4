"""PRV: the rendering provider — assistants evaluating, and evaluation codes of another discipline."""
from __future__ import annotations

from collections.abc import Iterator

from ..context import ScrubContext
from ..findings import Finding
from ..lines import ChargeLine
from ..names import CLINICIANS
from .base import Rule

_SAID_WITH_A_VOWEL = frozenset("AEFHILMNORSX")  # letters whose names start with a vowel sound: an OT, an SLP, a PT


def with_article(abbreviation: str) -> str:
    """`a PT`, `an OT`, `an SLP`, `an AT`: the article as an abbreviation read letter by letter takes it."""
    return f"{'an' if abbreviation[:1].upper() in _SAID_WITH_A_VOWEL else 'a'} {abbreviation}"


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
                yield self.finding(ctx, line, f"{line.cpt} ({ctx.code(line).label}) is billed with "
                                   f"{with_article(line.provider_type)} as the provider", field="provider_type",
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
                yield self.finding(ctx, line, f"{line.cpt} is {with_article(info.discipline)} evaluation code but the provider "
                                   f"is {line.provider_type}", field="provider_type", amount=ctx.allowed(line))


_NOT_THERAPY = "CMS Pub. 100-02 ch.15 §230.1 C, §230.2 C (services of aides, even supervised, are not therapy " \
               "services and are not covered), §230.3 C (SLP assistants are not recognized); §230.1-§230.3 " \
               "(therapy is furnished by qualified therapists and therapy assistants); §240 (a chiropractor's " \
               "services: manual manipulation of the spine only)"


def _rendered_by_no_therapist(rule: Rule, ctx: ScrubContext, students: bool) -> Iterator[ChargeLine]:
    """The rule's lines rendered by a student (`students`) or by someone else who is no therapist; a partition
    where no line names such a provider (most sheets) is passed over."""
    if not ctx.memo("rendered_by", lambda: any(line.rendered_by for line in ctx.lines)):
        return
    for line in rule.lines(ctx):
        if line.rendered_by is not None and line.rendered_by not in CLINICIANS \
                and (line.rendered_by == "a student") == students:
            yield line


class ServiceByNonTherapist(Rule):
    id = "PRV003"
    name = "service-by-non-therapist"
    severity = "error"
    condition = ("Medicare and plans that follow CMS: the rendering provider is an aide, a technician, an SLP "
                 "assistant, or an athletic trainer, massage therapist or chiropractor without a therapist's "
                 "credential")
    fix = "Bill only what a therapist or therapy assistant furnished, under their name"
    source = _NOT_THERAPY
    applies = staticmethod(lambda profile: profile.follows_cms)

    def check(self, ctx: ScrubContext) -> Iterator[Finding]:
        for line in _rendered_by_no_therapist(self, ctx, students=False):
            yield self.finding(ctx, line, f"{line.cpt} is billed with {line.rendered_by} as the rendering provider; "
                               "Medicare pays therapy furnished by a therapist or therapy assistant",
                               field="provider_type", amount=ctx.allowed(line))


class StudentRenderedService(Rule):
    id = "PRV004"
    name = "student-rendered-service"
    severity = "warning"
    condition = ("Medicare and plans that follow CMS: the rendering provider is a therapy student (Part B pays only "
                 "the therapist's own service, the therapist in the room for all of it, directing it)")
    fix = "Bill it under the therapist who was in the room directing the whole service, or not at all"
    source = ("CMS Pub. 100-02 ch.15 §230 B (therapy students: only the services of the therapist are billed and "
              "paid under Part B, not a student's, even under line-of-sight supervision)")
    applies = staticmethod(lambda profile: profile.follows_cms)

    def check(self, ctx: ScrubContext) -> Iterator[Finding]:
        for line in _rendered_by_no_therapist(self, ctx, students=True):
            yield self.finding(ctx, line, f"{line.cpt} is billed with a student as the rendering provider",
                               field="provider_type", amount=ctx.allowed(line))

"""The rule base class: each rule is a small class carrying its metadata and one check.

Like ruff's and SQLFluff's rules: a stable ID, a kebab-case name, a default severity, the
condition in words, the fix and the source. Subclasses register themselves, so the catalogue
(`ptcalc rules`, docs/rules.md) is generated from the rules, never written twice.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar

from ..findings import SEVERITIES, Finding

if TYPE_CHECKING:
    from ...refdata.model import PayerProfile
    from ..context import ScrubContext
    from ..lines import ChargeLine

REGISTRY: dict[str, "Rule"] = {}


def profile_runs(rule: "Rule", profile: "PayerProfile") -> bool:
    """Whether a payer profile runs a rule: its own test of the profile, unless the profile disables it."""
    return rule.id not in profile.disabled_rules and (rule.applies is None or type(rule).applies(profile))


class Rule:
    id: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[str]
    condition: ClassVar[str]
    fix: ClassVar[str]
    source: ClassVar[str]
    # Readable cells a line needs before this rule can judge it.
    needs: ClassVar[tuple[str, ...]] = ("patient_id", "dos", "cpt")
    # Which payer profiles the rule applies to (None: every profile).
    applies: ClassVar[Callable[["PayerProfile"], bool] | None] = None
    # A column whose *missing* value the rule reports (GP, KX, CQ, 59, 95 not on the line): on a sheet
    # without that column the value is unknown, not missing, so a failure becomes no_data.
    absent_value_of: ClassVar[str | None] = None
    # A line of 0 units bills nothing (a service recorded, not charged: the 8-minute rule gave it no unit, or
    # the payer does not pay it separately): rules about what a claim bills pass over it; rules about the
    # sheet's data and its units judge it.
    judges_unbilled: ClassVar[bool] = False
    # A reviewer may waive the rule's finding on a line (a scrub_override cell naming it, with the reason);
    # not a rule about a value that is missing, unreadable or in the future: that is corrected in its cell.
    overridable: ClassVar[bool] = True
    # Judges what the other rules found (ScrubContext.rules_found): runs after them.
    reviews_findings: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if "id" in cls.__dict__:
            assert cls.severity in SEVERITIES, cls.id
            if cls.absent_value_of is not None and cls.absent_value_of not in cls.needs:
                cls.needs = (*cls.needs, cls.absent_value_of)  # an unreadable cell is not a missing value
            assert cls.id not in REGISTRY, f"rule {cls.id} defined twice"
            REGISTRY[cls.id] = cls()

    def check(self, ctx: "ScrubContext") -> Iterable[Finding]:
        raise NotImplementedError

    # Helpers for checks -------------------------------------------------------------
    def applies_to(self, ctx: "ScrubContext", line: "ChargeLine") -> bool:
        """The line is readable enough, its code known, and its payer profile runs this rule."""
        if not line.judgeable or (line.bad and not line.bad.isdisjoint(self.needs)):
            return False
        if line.units == 0 and not self.judges_unbilled:
            return False
        return ctx.rule_applies(self, line.profile)

    def lines(self, ctx: "ScrubContext", **tests: Callable) -> list["ChargeLine"]:
        """The lines this rule judges; `code=`, `modifiers=`, `pos=` tests narrow them through the indexes."""
        profiles = frozenset(id(p) for p in ctx.ref.payers if ctx.rule_applies(self, p))
        needs, unbilled = self.needs, self.judges_unbilled

        def narrowed() -> list["ChargeLine"]:
            if unbilled or not ctx.has_unbilled:
                return [line for line in ctx.select(**tests)
                        if id(line.profile) in profiles and (not line.bad or line.bad.isdisjoint(needs))]
            return [line for line in ctx.select(**tests)
                    if id(line.profile) in profiles and (not line.bad or line.bad.isdisjoint(needs)) and line.units != 0]

        # Without tests, rules of the same payers and needs judge the same lines: found once.
        return ctx.memo(("lines", profiles, needs, unbilled), narrowed) if not tests else narrowed()

    def lines_for_second_payers(self, ctx: "ScrubContext", **tests: Callable) -> list["ChargeLine"]:
        """Lines whose payer does not run this rule but whose second payer does (the claim it gets after the
        primary's carries the same lines); `tests` as in `lines`."""
        return [line for line in ctx.select(**tests) if line.secondary_payer is not None
                and not ctx.rule_applies(self, line.profile) and ctx.rule_applies(self, ctx.secondary_profile(line))
                and (not line.bad or line.bad.isdisjoint(self.needs)) and (line.units != 0 or self.judges_unbilled)]

    def finding(self, ctx: "ScrubContext", line: "ChargeLine", message: str, *, field: str | None = "cpt",
                status: str = "fail", amount: Decimal | None = None, severity: str | None = None,
                fix: str | None = None) -> Finding:
        profile = ctx.profile(line)
        column = self.absent_value_of
        if status == "fail" and column is not None and column not in ctx.columns:
            status, amount = "no_data", None
            message = f"the sheet gives no {column} (no column, or one no line fills); if the claim has none " \
                      f"either: {message}"
            fix = f"Check the claim's {column} (or give them on the sheet)"
        waiver = line.scrub_override
        if status == "fail" and waiver is not None and self.id in waiver.rules:
            status, message = "bypassed", f"{message}; waived on the sheet: {waiver.reason}"
        chosen = severity or self.severity
        if profile is not None and self.id in profile.severity_overrides:
            chosen = profile.severity_overrides[self.id]
        return Finding(line.row, self.id, self.name, chosen, status, message, fix or self.fix, amount,
                       line.patient_id, line.dos, line.cpt, self.source, field, line.claim_id, line.claim_line)

"""TEL: telehealth — dates outside the payer's window, and the 95 modifier."""
from __future__ import annotations

from collections.abc import Iterator

from ..context import ScrubContext
from ..findings import Finding
from ..lines import ChargeLine
from .base import Rule


def telehealth_lines(rule: Rule, ctx: ScrubContext) -> list[ChargeLine]:
    """Lines at a telehealth place of service, or carrying the telehealth modifier."""
    places, modifier = ctx.ref.constant("telehealth_pos"), ctx.ref.constant("telehealth_modifier")
    by_place = list(rule.lines(ctx, pos=lambda pos: pos in places))
    return by_place + list(rule.lines(ctx, modifiers=lambda mods: modifier in mods, pos=lambda pos: pos not in places))


class TelehealthOutsideWindow(Rule):
    id = "TEL001"
    name = "telehealth-outside-window"
    severity = "error"
    condition = ("pos 02/10 or modifier 95 on a date outside the payer's telehealth window in reference/ "
                 "(Medicare PT: extended through 2027-12-31)")
    fix = "Bill in person or check coverage"
    source = "reference/policy.yaml telehealth_windows (CAA 2026 extension for Medicare therapists)"
    needs = ("patient_id", "dos", "cpt", "pos")

    def check(self, ctx: ScrubContext) -> Iterator[Finding]:
        for line in telehealth_lines(self, ctx):
            windows = [w for w in ctx.ref.telehealth_windows if w.profile == ctx.profile(line).profile]
            if not windows:
                continue
            if not any(w.effective_from <= line.dos <= w.effective_to for w in windows):
                spans = ", ".join(f"{w.effective_from.isoformat()} to {w.effective_to.isoformat()}" for w in windows)
                yield self.finding(ctx, line, f"telehealth on {line.dos.isoformat()} is outside "
                                   f"{ctx.profile(line).label}'s telehealth window for therapists ({spans})",
                                   field="pos" if line.pos else "modifiers", amount=ctx.allowed(line))


class TelehealthModifierMissing(Rule):
    id = "TEL002"
    absent_value_of = "modifiers"
    name = "telehealth-modifier-missing"
    severity = "warning"
    condition = "pos 02/10 without modifier 95 where the payer profile requires it"
    fix = "Add 95"
    source = "payer profile telehealth_requires_95 (reference/payers.yaml)"
    needs = ("patient_id", "dos", "cpt", "pos")
    applies = staticmethod(lambda profile: profile.telehealth_requires_95)

    def check(self, ctx: ScrubContext) -> Iterator[Finding]:
        modifier, places = ctx.ref.constant("telehealth_modifier"), ctx.ref.constant("telehealth_pos")
        for line in self.lines(ctx, pos=lambda pos: pos in places, modifiers=lambda mods: modifier not in mods):
            yield self.finding(ctx, line, f"place of service {line.pos} is telehealth but the line has no "
                               f"{modifier}", field="modifiers")


# Services furnished at a distance by their definition, not Medicare telehealth services (which stand in for
# a visit in person): remote therapeutic monitoring, and the e-visits and virtual check-ins therapists bill from
# 2021 (CY 2021 PFS final rule; exports may carry 95 on them, as some vendors advised in 2020).
REMOTE_BY_NATURE = frozenset({"remote_monitoring", "communication_technology"})


class CodeNotOnTelehealthList(Rule):
    id = "TEL003"
    name = "code-not-on-telehealth-list"
    severity = "error"
    condition = ("pos 02/10 or modifier 95 on a code that is not on Medicare's telehealth list for therapists on "
                 "that date (reference/telehealth.yaml), for payer profiles with a telehealth window in policy.yaml")
    fix = "Bill the service in person, or drop it"
    source = "CMS List of Telehealth Services (reference/telehealth.yaml)"
    needs = ("patient_id", "dos", "cpt", "pos")
    applies = staticmethod(lambda profile: profile.follows_cms)

    def check(self, ctx: ScrubContext) -> Iterator[Finding]:
        listed = ctx.ref.telehealth_codes
        medicare_list = {w.profile for w in ctx.ref.telehealth_windows}  # profiles that pay by Medicare's list
        for line in telehealth_lines(self, ctx):
            if ctx.profile(line).profile not in medicare_list or ctx.code(line).family in REMOTE_BY_NATURE:
                continue  # not a telehealth service: billed as itself, whatever its place of service or 95
            spans = listed.get(line.cpt, ())
            if any(span.on_list(line.dos) for span in spans):
                continue
            how = f"place of service {line.pos}" if line.pos in ctx.ref.constant("telehealth_pos") else "modifier 95"
            when = (f" on {line.dos.isoformat()} (it is listed from {min(s.effective_from for s in spans)})"
                    if spans else "")
            yield self.finding(ctx, line, f"{line.cpt} ({ctx.code(line).label.lower()}) is billed by telehealth "
                               f"({how}) but is not on Medicare's telehealth list{when}",
                               field="pos" if line.pos else "modifiers", amount=ctx.allowed(line))

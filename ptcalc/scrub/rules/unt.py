"""UNT: units and the 8-minute rule (CMS aggregate or AMA per code, per the payer profile)."""
from __future__ import annotations

import math
from collections.abc import Iterator
from decimal import Decimal

from ...units import split_timed_units
from ..context import ScrubContext, Visit, VisitTotalUnits, VisitUnits, remembered
from ..findings import Finding
from ..lines import ChargeLine
from .base import Rule

SECTION_20_2 = "CMS Pub. 100-04 ch.5 §20.2 (8-minute rule); AMA CPT time convention for AMA-method payers"


def _plural(count: int, word: str = "unit") -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


def _first_line(visit: Visit, code: str) -> ChargeLine:
    return next(line for line in visit.lines if line.cpt == code)


class _UnitsRule(Rule):
    """Shared walk over visits whose expected units can be computed."""

    needs = ("patient_id", "dos", "cpt", "units", "minutes")
    judges_unbilled = True  # a code the minutes earn a unit but billed with 0 is the point (UNT002, UNT003)

    def visits(self, ctx: ScrubContext) -> Iterator[tuple[Visit, VisitUnits]]:
        """Visits whose billed timed units differ from the expected ones (the only ones to judge)."""
        for visit, units in ctx.unit_mismatches:
            if self.applies_to(ctx, visit.lines[0]):
                yield visit, units

    @staticmethod
    def basis(units: VisitUnits) -> str:
        total = sum(units.expected_by_code.values())
        minutes = units.pooled_minutes
        return (f"the visit's {minutes:g} timed minutes support {_plural(total)} under the {units.method} rule"
                if units.method == "CMS" else f"each code's own minutes set its units under the AMA rule "
                                               f"({_plural(total)} in all)")

    def amount(self, ctx: ScrubContext, line: ChargeLine, units: int) -> Decimal | None:
        price = ctx.unit_price(line)
        return price * units if price is not None else None


class _TotalRule(_UnitsRule):
    """UNT001/UNT002: the visit's timed total is off; flag each code billed the wrong way."""

    too_many: bool

    def check(self, ctx: ScrubContext) -> Iterator[Finding]:
        for visit, units in self.visits(ctx):
            billed_total, expected_total = sum(units.billed_by_code.values()), sum(units.expected_by_code.values())
            if (billed_total > expected_total) != self.too_many or billed_total == expected_total:
                continue
            unlisted = self._unlisted_minutes(ctx, units)
            for code, billed in units.billed_by_code.items():
                expected = units.expected_by_code[code]
                if (billed > expected if self.too_many else billed < expected):
                    line = _first_line(visit, code)
                    fix = f"Bill {_plural(expected)} of {code}"
                    if unlisted:
                        fix += (f", unless the note records another timed service of {unlisted} minutes that earned "
                                "no unit (the CMS rule counts its minutes): then add it to the sheet with 0 units")
                    yield self.finding(
                        ctx, line, f"{code}: {_plural(billed)} billed for {units.minutes_by_code[code]:g} minutes; "
                        f"{self.basis(units)}, {expected} of them for {code}", field="units",
                        amount=self.amount(ctx, line, abs(billed - expected)), fix=fix)
        for visit, total in ctx.visit_total_mismatches:
            billed = sum(total.billed_by_code.values())
            if (billed > total.supported) == self.too_many and self.applies_to(ctx, visit.lines[0]):
                yield self._total_finding(ctx, visit, total, billed)

    def _unlisted_minutes(self, ctx: ScrubContext, units: VisitUnits) -> str | None:
        """The minutes (`1-6`) of one more timed service, unbilled and not on the sheet, under which the CMS rule
        gives exactly the billed units: an export lists the billed lines, and a service whose minutes earned no
        unit still counts toward the visit's total (§20.2). None when none would, under the AMA rule (each code
        alone), or when the sheet gives the visit's total timed minutes."""
        excess = sum(units.billed_by_code.values()) - sum(units.expected_by_code.values())
        if not self.too_many or excess != 1 or units.method != "CMS" or "visit_timed_minutes" in ctx.columns:
            return None  # (under 15 more minutes add at most one unit)
        listed = tuple(units.minutes_by_code.items())
        billed = (*(units.billed_by_code[code] for code, _ in listed), 0)
        memo = remembered(ctx.ref, "unlisted_minutes")
        if (listed, billed) not in memo:
            memo[(listed, billed)] = unlisted_service_minutes(listed, billed[:-1], ctx.ref.latest_fee_schedule.rows)
        return memo[(listed, billed)]

    def _total_finding(self, ctx: ScrubContext, visit: Visit, total: VisitTotalUnits, billed: int) -> Finding:
        """One finding on the visit's first timed line: the total does not say which code is off."""
        timed = [line for line in visit.lines if line.cpt in total.billed_by_code]
        codes = ", ".join(f"{code} {units}" for code, units in total.billed_by_code.items())
        supports = (f"support {_plural(total.supported)} under the {total.method} rule" if total.exact else
                    f"support at most {_plural(total.supported)} under the AMA rule, however they were split "
                    f"among {len(total.billed_by_code)} codes")
        prices = [price for line in timed if (price := ctx.unit_price(line)) is not None]
        return self.finding(
            ctx, timed[0], f"{_plural(billed, 'timed unit')} billed ({codes}) for the visit's {total.total_minutes:g} "
            f"total timed minutes, which {supports}", field="units",
            amount=min(prices) * abs(billed - total.supported) if prices else None,
            fix=f"Bill {'at most ' if not total.exact else ''}{_plural(total.supported, 'timed unit')} for the visit "
                "(the minutes of each code in the note decide which)")


class UnitsExceedMinutes(_TotalRule):
    id = "UNT001"
    name = "units-exceed-minutes"
    severity = "error"
    condition = ("Billed timed units of the visit exceed what the minutes support under the payer's unit "
                 "method (CMS aggregate or AMA per code)")
    fix = "Bill the expected units (shown)"
    source = SECTION_20_2
    too_many = True


class UnitsBelowMinutes(_TotalRule):
    id = "UNT002"
    name = "units-below-minutes"
    severity = "info"
    condition = "Billed timed units are fewer than the minutes support (money left on the table)"
    fix = "Bill the expected units; the amount is the value of the missing units"
    source = SECTION_20_2
    too_many = False


def unlisted_service_minutes(listed: tuple[tuple[str, float], ...], billed: tuple[int, ...], rvus: dict) -> str | None:
    """The whole minutes x (1-14) of one more timed service for which the CMS split of `listed` plus it gives
    `billed` and the extra service 0 units, as `lo-hi`. Only x with units(T + x) equal to the billed total, and
    no more than the smallest leftover of a code that took a leftover unit (ties go to the listed code), can;
    over that range the split changes only in the extra code's place, so both ends decide it (checked in full
    where they disagree)."""
    total, billed_total = sum(m for _, m in listed), sum(billed)
    low, high = max(1, math.ceil(15 * billed_total - 7 - total)), min(14, math.ceil(15 * billed_total + 8 - total) - 1)
    leftovers = [m - 15 * (m // 15) for (_, m), b in zip(listed, billed) if b > m // 15]
    if leftovers:
        high = min(high, math.floor(min(leftovers)))
    wanted = (*billed, 0)

    def fits(x: int) -> bool:
        return split_timed_units((*listed, ("", float(x))), "CMS", rvus) == wanted

    if low > high:
        return None
    found = [low, high] if fits(low) and fits(high) else [x for x in range(low, high + 1) if fits(x)]
    return None if not found else f"{found[0]}" if found[0] == found[-1] else f"{found[0]}-{found[-1]}"


def _cms_split_allowed(units: VisitUnits) -> bool:
    """Whether the billed split is one CMS allows: full 15-minute blocks, then leftover units to
    codes with the largest leftover minutes (tied codes are the provider's choice, §20.2 ex. 2 and 5)."""
    full = {c: int(m // 15) for c, m in units.minutes_by_code.items()}
    left = {c: m - 15 * full[c] for c, m in units.minutes_by_code.items()}
    extra = {c: units.billed_by_code[c] - full[c] for c in full}
    if any(e not in (0, 1) for e in extra.values()):
        return False
    winners = [left[c] for c, e in extra.items() if e == 1]
    losers = [left[c] for c, e in extra.items() if e == 0]
    return not winners or not losers or min(winners) >= max(losers)


class UnitsMisallocated(_UnitsRule):
    id = "UNT003"
    name = "units-misallocated"
    severity = "warning"
    condition = "The visit's total timed units are right but the split across codes differs from the allocation"
    fix = "Move the unit to the code shown"
    source = SECTION_20_2

    def check(self, ctx: ScrubContext) -> Iterator[Finding]:
        for visit, units in self.visits(ctx):
            if sum(units.billed_by_code.values()) != sum(units.expected_by_code.values()):
                continue
            if units.method == "CMS" and _cms_split_allowed(units):
                continue
            split = ", ".join(f"{c} {n}" for c, n in units.expected_by_code.items())
            for code, billed in units.billed_by_code.items():
                expected = units.expected_by_code[code]
                if billed != expected:
                    yield self.finding(
                        ctx, _first_line(visit, code), f"{code}: {_plural(billed)} billed; {self.basis(units)}, "
                        f"split {split}", field="units", fix=f"Bill {_plural(expected)} of {code} ({split})")


class UntimedUnitsNotOne(Rule):
    id = "UNT004"
    name = "untimed-units-not-one"
    severity = "error"
    condition = ("An untimed (service-based) code is billed with units other than 1; with 0 units (on the sheet, not "
                 "billed) a code the fee schedule pays is money left on the table (info), one it does not pay "
                 "separately (97010) is rightly not billed")
    fix = "Bill 1 unit"
    source = "CMS Pub. 100-04 ch.5 §20.2 B (untimed codes: enter 1 in the units field)"
    needs = ("patient_id", "dos", "cpt", "units")
    judges_unbilled = True

    def check(self, ctx: ScrubContext) -> Iterator[Finding]:
        for line in self.lines(ctx, code=lambda code: ctx.ref.codes[code].timing == "untimed"):
            info = ctx.code(line)
            if line.units == 0:
                price = ctx.price_alone(line, line.cpt)
                if price:  # a service the payer pays for, recorded and not billed
                    yield self.finding(ctx, line, f"{line.cpt} ({info.label}) is on the sheet with 0 units: not "
                                       "billed", field="units", amount=price, severity="info",
                                       fix="If the service was furnished, bill 1 unit")
            elif line.units is not None and line.units != 1:
                price = ctx.unit_price(line)
                yield self.finding(ctx, line, f"{line.cpt} ({info.label}) is untimed but billed with "
                                   f"{_plural(line.units)}", field="units",
                                   amount=price * (line.units - 1) if price is not None else None)


class TimedCodeWithoutMinutes(Rule):
    id = "UNT005"
    name = "timed-code-without-minutes"
    severity = "error"
    condition = ("A timed code has no minutes documented (status no_data when the source has no minutes at all: "
                 "an 837 claim has none, nor does an export's minutes column that no line of two or more visits "
                 "fills); its visit's units are then unknown, and UNT001-UNT003 do not judge them")
    fix = "Record the minutes"
    source = "CMS Pub. 100-02 ch.15 §220.3 (timed minutes must support the billed units)"
    needs = ("patient_id", "dos", "cpt", "minutes")
    judges_unbilled = True  # and passes over it: no units billed, no minutes needed

    def check(self, ctx: ScrubContext) -> Iterator[Finding]:
        absent = "minutes" not in ctx.columns  # e.g. an 837 claim: it has no minutes field
        for line in self.lines(ctx, code=lambda code: ctx.ref.codes[code].timed, minutes=lambda m: not m):
            if ctx.judged_on_visit_total(line):
                continue
            if (line.units or 0) > 0 and absent:
                yield self.finding(ctx, line, f"{line.cpt} is a timed code and the source has no minutes: its "
                                   f"{_plural(line.units)} cannot be checked against the 8-minute rule",
                                   status="no_data", field=None)
            elif (line.units or 0) > 0:
                yield self.finding(ctx, line, f"{line.cpt} is a timed code billed with {_plural(line.units)} "
                                   "but no minutes", field="minutes", amount=ctx.allowed(line))


class TimedCodeSplitLines(Rule):
    id = "UNT006"
    name = "timed-code-split-lines"
    severity = "error"
    condition = ("The same timed code on more than one line for one visit where the lines' modifiers do not explain "
                 "the split: a CQ/CO split (CMS's own CQ/CO scenarios bill one unit with CQ and one without on two "
                 "lines) or distinct 59/X sites do. PT, OT and SLP on one day are visits of their own (GP, GO, GN: "
                 "each discipline's plan of care and units), each with its line")
    fix = "Combine into one line"
    source = ("First Coast and NGS notices: timed codes on a single line per date of service from 2021-04-19; "
              "CMS CQ/CO billing examples (a CQ/CO split is two lines); a day's timed minutes and units are "
              "counted per discipline and plan of care (facts §1.3)")
    applies = staticmethod(lambda profile: profile.follows_cms)
    needs = ("patient_id", "dos", "cpt", "modifiers")  # the modifiers may explain the split

    def check(self, ctx: ScrubContext) -> Iterator[Finding]:
        start = ctx.ref.constant("timed_code_single_line_from")
        splitting = set(ctx.ref.constant("ncci_bypass_modifiers")) | {"CQ", "CO"}
        for group in ctx.repeated_codes:
            if group[0].dos < start or not ctx.code(group[0]).timed:
                continue
            first: dict[tuple[str, frozenset], int] = {}
            for line in group:
                if not self.applies_to(ctx, line):
                    continue
                why = frozenset(m for m in line.modifiers if m in splitting)
                visit = (ctx.visit_of(line).discipline, why)  # the day's PT, OT and SLP are visits of their own
                if visit in first:
                    yield self.finding(ctx, line, f"{line.cpt} is already billed on row {first[visit]} for this visit"
                                       + (f" with the same {'/'.join(sorted(why))}" if why else ""),
                                       amount=ctx.allowed(line))
                else:
                    first[visit] = line.row


class TimedMinutesDisagree(Rule):
    id = "UNT007"
    name = "timed-minutes-disagree"
    severity = "warning"
    condition = ("The minutes of a visit's timed lines do not add up to the visit's total timed minutes (a sheet with "
                 "both): the units were judged on the lines' minutes")
    fix = "Correct the line minutes or the total so they agree with the treatment note"
    source = ("CMS Pub. 100-02 ch.15 §220.3: the note records total timed code treatment minutes; \"the billing and "
              "the total timed code treatment minutes must be consistent\"")
    needs = ("patient_id", "dos", "cpt", "minutes")
    judges_unbilled = True

    def check(self, ctx: ScrubContext) -> Iterator[Finding]:
        for visit, added, total in ctx.disagreeing_visit_totals:
            timed = [line for line in visit.lines if ctx.code(line).timed]
            if self.applies_to(ctx, timed[0]):
                yield self.finding(ctx, timed[0], f"the visit's timed lines add up to {added:g} minutes, but its "
                                   f"total timed minutes say {total:g}", field="minutes")


class PayersCountUnitsDifferently(Rule):
    id = "UNT008"
    name = "payers-count-units-differently"
    severity = "info"
    condition = ("The claim's payer and its second payer count timed units by different rules (AMA: each code's own "
                 "minutes; CMS: the visit's total) and the two give the visit's minutes different units")
    fix = ("Bill the units your policy for such claims chooses; the clinic's ptcalc.yaml says which rule judges them "
           "(`unit_method_conflict: primary`, the default, or `cms`, the 8-minute rule)")
    source = (f"{SECTION_20_2}; the claim's other payer (CMS-1500 item 9); a company setting, as WebPT's payer rules "
              "(defer to the primary, or to the 8-minute rule)")
    needs = ("patient_id", "dos", "cpt", "units", "minutes")
    judges_unbilled = True

    def check(self, ctx: ScrubContext) -> Iterator[Finding]:
        rvus = ctx.ref.latest_fee_schedule.rows
        for visit in ctx.unit_method_conflicts:
            timed = [line for line in visit.lines if ctx.code(line).timed]
            if not timed or not self.applies_to(ctx, timed[0]) or any(line.minutes is None for line in timed):
                continue
            minutes: dict[str, float] = {}
            for line in timed:
                minutes[line.cpt] = minutes.get(line.cpt, 0.0) + line.minutes
            first = timed[0]
            primary, second = first.profile.unit_method, ctx.secondary_profile(first).unit_method
            units = {method: dict(zip(minutes, split_timed_units(tuple(minutes.items()), method, rvus)))
                     for method in (primary, second)}
            if units[primary] == units[second]:
                continue
            used = ctx.unit_method_of(first)
            yield self.finding(ctx, first, f"{_payer_named(first)} ({primary} rule) gives the visit's timed minutes "
                               f"{_units_said(units[primary])}; the second payer, {first.secondary_payer} ({second} "
                               f"rule), {_units_said(units[second])}: judged by the {used} rule "
                               f"(unit_method_conflict: {ctx.ref.unit_method_conflict})", field="units")


def _payer_named(line: ChargeLine) -> str:
    return line.payer or (line.payer_type or "the payer").replace("_", " ")


def _units_said(by_code: dict[str, int]) -> str:
    total = sum(by_code.values())
    return f"{_plural(total)} ({', '.join(f'{code} {units}' for code, units in by_code.items())})"

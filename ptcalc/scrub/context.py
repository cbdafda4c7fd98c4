"""What the rules share about a sheet, computed once: payer profiles, visits, prices, units, KX.

- A visit is patient + date of service + discipline: units and NCCI pairs are judged per visit.
- A day is patient + date of service: the therapy MPPR spans every discipline on a day
  (NGS, facts §3.3), and MUEs count per date of service.
- KX accrues per patient, calendar year and bucket (PT/SLP, OT), in date order, starting from
  `ytd_prior`, on PFS allowed amounts, for payer profiles where the KX threshold applies.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cached_property
from itertools import groupby
from operator import attrgetter
from typing import TYPE_CHECKING, NamedTuple

from ..errors import PtcalcInputError
from ..fees import (ASSISTANT_MODIFIERS, PRICED_STATUSES, THERAPY_MPPR, FeeLine, PricingBasis, VisitPricer,
                    pricer_for)
from ..kx import KxStatus, status_for_total
from ..refdata import Reference
from ..periods import by_year
from ..refdata.model import CodeInfo, FeeRow, PayerProfile
from ..units import split_timed_units, units_for_minutes
from .lines import ASSISTANTS, PROVIDER_TYPES, ChargeLine
from .names import CLINICIANS, MODIFIER_DISCIPLINES, payer_type_of
from .payer_copies import payer_copy_of

if TYPE_CHECKING:
    from .findings import Finding
    from .rules.base import Rule

THERAPY_MODIFIERS = frozenset(MODIFIER_DISCIPLINES)  # GP, GO, GN

KX_BUCKETS = {"PT": "PT/SLP", "SLP": "PT/SLP", "OT": "OT"}


def select_profile(ref: Reference, payer_type: str, payer: str) -> PayerProfile | None:
    """The profile named for this payer (payer_names), else the one for its payer type."""
    name = payer.lower()
    candidates = [p for p in ref.payers if payer_type in p.payer_types]
    for profile in candidates:
        if name and any(n in name for n in profile.payer_names):
            return profile
    return next((p for p in candidates if not p.payer_names), None)


def is_judgeable(line: ChargeLine, codes: dict[str, CodeInfo]) -> bool:
    """Patient, date and a known code are readable: rules other than DAT can judge the line."""
    return line.patient_id is not None and line.dos is not None and line.cpt in codes


@dataclass
class Visit:
    patient_id: str
    dos: date
    discipline: str
    lines: list[ChargeLine]
    # An assistant took part (a PTA/OTA line, assistant minutes) or CQ/CO is billed: the visits the CQ/CO rules
    # judge (on any other no unit needs CQ/CO and none carries it). Noted while the lines are grouped.
    assisted: bool = False


@dataclass
class VisitUnits:
    """Expected units of a visit's lines under the payer's unit method."""

    method: str
    pooled_minutes: float
    expected: dict[int, int]  # row -> expected units, for the timed lines
    billed_by_code: dict[str, int]
    expected_by_code: dict[str, int]
    minutes_by_code: dict[str, float]


@dataclass
class _Units:
    expected: dict[int, int]  # row -> expected units, for the timed lines whose units can be known
    mismatches: list[tuple[Visit, VisitUnits]]
    total_mismatches: list[tuple[Visit, "VisitTotalUnits"]]
    on_visit_total: set[int]  # rows of timed lines judged on their visit's total timed minutes
    # Visits whose timed lines' minutes do not add up to the visit's total timed minutes: (visit, sum, total)
    disagreeing_totals: list[tuple[Visit, float, float]]


@dataclass
class VisitTotalUnits:
    """A visit judged on its total timed minutes (a column of the visit's total; no minutes per line)."""

    method: str
    total_minutes: float
    billed_by_code: dict[str, int]
    supported: int  # CMS: the units the total supports; AMA: the most it supports, however split
    exact: bool  # `supported` is the units, not only a bound (CMS, or one code under AMA)


class KxPoint(NamedTuple):  # immutable, made per KX day: a named tuple is quicker to make than a frozen dataclass
    """A line's place in its patient's KX accrual."""

    status: KxStatus | None  # None when the year cannot be priced or has no threshold
    visit_allowed: Decimal
    problem: str | None = None
    # The sheet says the patient's allowed dollars before it (a ytd_prior column; a blank cell there is 0):
    # a sheet without one is only a lower bound on the year's total (a day's or a week's charges start mid-year)
    prior_known: bool = True


_MAX_REMEMBERED_SHAPES = 200_000


def remembered(ref: Reference, name: str) -> dict:
    """Results by shape (a day's prices by codes, units and modifiers; a visit's unit split by minutes per
    code; the NCCI edits in force for a code on a date...), kept with the reference data they come from and
    shared by the partitions of a scrub."""
    memo = ref.caches.setdefault(name, {})
    if len(memo) > _MAX_REMEMBERED_SHAPES:  # a long-lived process (the Excel UDF server) stays bounded
        memo.clear()
    return memo


def _one_unit(fee_line: FeeLine, pricer: VisitPricer) -> Decimal:
    """What one more or one fewer unit of the line is worth: a subsequent (MPPR-reduced) unit."""
    one = fee_line.unit_reduced if fee_line.status in PRICED_STATUSES else Decimal("0.00")
    if fee_line.assistant and pricer.assistant_rate is not None:
        one = (one * pricer.assistant_rate).quantize(Decimal("0.01"))
    return one


_INDEXES = {"cpt": "by_code", "modifiers": "by_modifiers", "pos": "by_pos", "minutes": "by_minutes"}  # field -> index


class ScrubContext:
    def __init__(self, ref: Reference, lines: list[ChargeLine], columns: set[str], as_of: date) -> None:
        self.ref = ref
        self.lines = lines
        self.columns = columns
        self.as_of = as_of
        self.findings: list[Finding] = []  # what the rules found, for the rules that review it (set by the judge)
        profiles: dict[tuple[str, str], PayerProfile | None] = {}
        self.by_code: dict[str, list[ChargeLine]] = defaultdict(list)
        self.by_modifiers: dict[tuple[str, ...], list[ChargeLine]] = defaultdict(list)
        codes = ref.codes
        visits: dict[tuple, Visit] = {}
        self.judgeable_lines: list[ChargeLine] = []
        self.payer_copies: dict[int, str] = {}  # row -> why: a charge listed again for another payer (payer_copies.py)
        judgeable, by_code, by_modifiers = self.judgeable_lines.append, self.by_code, self.by_modifiers
        disciplines = PROVIDER_TYPES.get
        assistant_billed: dict[tuple[str, ...], bool] = {}  # modifiers -> whether they hold CQ or CO
        for line in lines:
            if line.payer_type is not None:
                key = (line.payer_type, line.payer)
                profile = profiles.get(key, profiles)
                if profile is profiles:
                    profile = profiles[key] = select_profile(ref, line.payer_type, line.payer)
                line.profile = profile
            # is_judgeable, inline: this loop visits every line
            if line.patient_id is not None and line.dos is not None and line.cpt in codes:
                key = (line.patient_id, line.dos, disciplines(line.provider_type, "PT"))
                visit = visits.get(key)
                if visit is None:
                    visit = visits[key] = Visit(*key, [])
                elif (line.payer != visit.lines[0].payer or line.payer_type != visit.lines[0].payer_type) and \
                        (copied := payer_copy_of(line, visit.lines)) is not None:
                    self.payer_copies[line.row] = copied  # judged once, as the line it repeats
                    line.judgeable = False
                    continue
                line.judgeable = True
                judgeable(line)
                by_code[line.cpt].append(line)
                by_modifiers[line.modifiers].append(line)
                visit.lines.append(line)
                billed_cq_co = assistant_billed.get(line.modifiers)
                if billed_cq_co is None:
                    billed_cq_co = assistant_billed[line.modifiers] = not ASSISTANT_MODIFIERS.isdisjoint(line.modifiers)
                if billed_cq_co or line.pta_minutes or line.provider_type in ASSISTANTS:
                    visit.assisted = True
            else:
                line.judgeable = False
        self.visits: list[Visit] = list(visits.values())
        if self.payer_copies:
            self.lines = [line for line in lines if line.row not in self.payer_copies]
        self._applies: dict[tuple[str, str], bool] = {}
        self._schedule_rows: dict[int, dict[str, FeeRow]] = {}
        self._memo: dict[Hashable, object] = {}

    # Lines ---------------------------------------------------------------------------
    def code(self, line: ChargeLine) -> CodeInfo | None:
        return self.ref.codes.get(line.cpt) if line.cpt else None

    @staticmethod
    def profile(line: ChargeLine) -> PayerProfile | None:
        return line.profile

    @staticmethod
    def judgeable(line: ChargeLine) -> bool:
        return line.judgeable

    @cached_property
    def _unpaid_codes(self) -> frozenset[str]:
        return frozenset(code for schedule in self.ref.fee_schedules.values() for code, row in schedule.rows.items()
                         if row.status not in PRICED_STATUSES)

    def unpaid_somewhere(self, code: str) -> bool:
        """The code has a status other than A/T in some fee schedule (bundled, invalid, non-covered...)."""
        return code in self._unpaid_codes

    def rule_applies(self, rule: "Rule", profile: PayerProfile | None) -> bool:
        """Whether a payer profile runs a rule (cached: a few profiles, many lines)."""
        if profile is None:
            return False
        key = (rule.id, profile.profile)
        if key not in self._applies:
            from .rules.base import profile_runs  # (here: the rules import this module)

            self._applies[key] = profile_runs(rule, profile)
        return self._applies[key]

    @cached_property
    def by_pos(self) -> dict[str | None, list[ChargeLine]]:
        return _index(self.judgeable_lines, "pos")

    @cached_property
    def by_minutes(self) -> dict[float | None, list[ChargeLine]]:
        return _index(self.judgeable_lines, "minutes")

    def select(self, code: Callable[[str], bool] | None = None,
               modifiers: Callable[[tuple[str, ...]], bool] | None = None,
               pos: Callable[[str | None], bool] | None = None,
               minutes: Callable[[float | None], bool] | None = None) -> list[ChargeLine]:
        """Judgeable lines whose code / modifiers / place of service / minutes pass the given tests (via the indexes)."""
        tests = [(f, attr) for f, attr in ((code, "cpt"), (modifiers, "modifiers"), (pos, "pos"), (minutes, "minutes"))
                 if f is not None]
        if not tests:
            return self.judgeable_lines
        # An index is built only when a rule first tests its field
        matched = [[group for key, group in getattr(self, _INDEXES[attr]).items() if test(key)] for test, attr in tests]
        smallest = min(range(len(tests)), key=lambda i: sum(map(len, matched[i])))  # the most selective index
        found = [line for group in matched[smallest] for line in group]
        others = [(test, attr) for i, (test, attr) in enumerate(tests) if i != smallest]
        if not others:
            return found
        return [line for line in found if all(test(getattr(line, attr)) for test, attr in others)]

    @cached_property
    def repeated_codes(self) -> list[list[ChargeLine]]:
        """Lines of one code on one patient's date of service, where there is more than one (row order)."""
        by_key: dict[tuple, list[ChargeLine]] = defaultdict(list)
        for lines in self.days.values():
            if len(lines) > 1 and len({line.cpt for line in lines}) < len(lines):
                for line in lines:
                    by_key[(line.patient_id, line.dos, line.cpt)].append(line)
        return [sorted(group, key=lambda l: l.row) for group in by_key.values() if len(group) > 1]

    @cached_property
    def has_unbilled(self) -> bool:
        """Some judgeable line has 0 units (bills nothing)."""
        return any(line.units == 0 for line in self.judgeable_lines)

    @cached_property
    def rules_found(self) -> dict[int, set[str]]:
        """Row -> the rules with a finding on it."""
        found: dict[int, set[str]] = {}
        for finding in self.findings:
            found.setdefault(finding.row, set()).add(finding.rule)
        return found

    @cached_property
    def rows_found(self) -> dict[tuple, list[int]]:
        """(rule, patient, date of service) -> the rows it has a finding on."""
        found: dict[tuple, list[int]] = {}
        for finding in self.findings:
            found.setdefault((finding.rule, finding.patient_id, finding.dos), []).append(finding.row)
        return found

    def memo(self, key: Hashable, compute: Callable[[], object]) -> object:
        """A value several rules share, computed once per scrub."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    # Visits and days -----------------------------------------------------------------
    @cached_property
    def _visit_by_row(self) -> dict[int, Visit]:
        return {line.row: visit for visit in self.visits for line in visit.lines}

    def visit_of(self, line: ChargeLine) -> Visit | None:
        return self._visit_by_row.get(line.row)

    @cached_property
    def days(self) -> dict[tuple[str, date], list[ChargeLine]]:
        grouped: dict[tuple[str, date], list[ChargeLine]] = defaultdict(list)
        for visit in self.visits:
            grouped[(visit.patient_id, visit.dos)].extend(visit.lines)
        return grouped

    # Prices --------------------------------------------------------------------------
    @cached_property
    def _prices(self) -> tuple[dict[int, Decimal], dict[int, Decimal], dict[tuple, str], list[PricingBasis]]:
        allowed: dict[int, Decimal] = {}
        unit_price: dict[int, Decimal] = {}
        problems: dict[tuple, str] = {}
        bases: dict[int, PricingBasis] = {}
        memo = remembered(self.ref, "day_prices")  # same day shape, same prices
        pricers: dict[tuple, VisitPricer] = {}
        # Only CQ/CO changes a price: the lines' modifiers that carry one
        assisted = {mods for mods in self.by_modifiers if not ASSISTANT_MODIFIERS.isdisjoint(mods)}
        for key, lines in self.days.items():
            first = lines[0]
            track = first.profile.conversion_factor_track if first.profile else "non_qp"
            pricer = pricers.get((key[1], first.locality, track))
            if pricer is None:
                try:
                    pricer = pricers[(key[1], first.locality, track)] = pricer_for(self.ref, key[1], first.locality,
                                                                                    track)
                except PtcalcInputError as exc:
                    problems[key] = str(exc).removeprefix("date: ")
                    continue
                bases[id(pricer)] = pricer.basis
            priceable = pricer.priceable_codes
            priced = [l for l in lines if l.units is not None and l.cpt in priceable]
            if not priced:
                continue
            # The year too: the assistant rate depends on the date, and so may a fallback's wording.
            shape = (pricer.prices_key, pricer.assistant_rate, key[1].year,
                     tuple([(l.cpt, l.units, l.modifiers in assisted) for l in priced]))
            amounts = memo.get(shape)
            if amounts is None:
                fee = pricer.price_anew([l.cpt for l in priced], [l.units for l in priced],
                                        [l.modifiers for l in priced])
                amounts = memo[shape] = [(f.amount, _one_unit(f, pricer)) for f in fee.lines]
            for line, (amount, one) in zip(priced, amounts):
                allowed[line.row] = amount
                unit_price[line.row] = one
        distinct = {(b.fee_schedule, b.gpci_year, b.fallbacks): b for b in bases.values()}
        return allowed, unit_price, problems, list(distinct.values())

    def allowed(self, line: ChargeLine) -> Decimal | None:
        """The line's PFS allowed amount (MPPR across the patient's day, CQ/CO at 85%)."""
        return self._prices[0].get(line.row)

    def unit_price(self, line: ChargeLine) -> Decimal | None:
        """What one unit more or less of this line is worth (a subsequent, MPPR-reduced unit)."""
        return self._prices[1].get(line.row)

    def fee_row(self, line: ChargeLine) -> FeeRow | None:
        """The line's code in the fee schedule of its date of service (or the newest before it)."""
        return self.fee_rows(line.dos.year).get(line.cpt)

    def outside_therapy(self, line: ChargeLine) -> bool:
        """A physician's or NPP's line of a "sometimes therapy" code without GP, GO or GN: a service of theirs
        outside a therapy plan, which Medicare processes without a therapy modifier (MOD001 lets it go) and counts
        toward no KX threshold. A "sometimes therapy" code is one without the therapy MPPR (indicator 5), which
        the fee schedule gives the "always therapy" codes (facts §3.3)."""
        if line.rendered_by not in CLINICIANS or not THERAPY_MODIFIERS.isdisjoint(line.modifiers):
            return False
        row = self.fee_row(line)
        return row is not None and row.mult_proc != THERAPY_MPPR

    def fee_rows(self, year: int) -> dict[str, FeeRow]:
        """The fee schedule in force in a year, by code (empty before the first the reference data has)."""
        if year not in self._schedule_rows:
            try:
                self._schedule_rows[year] = by_year(self.ref.fee_schedules, year, "fee schedule").table.rows
            except PtcalcInputError:
                self._schedule_rows[year] = {}
        return self._schedule_rows[year]

    def price_alone(self, line: ChargeLine, code: str) -> Decimal | None:
        """What `code` would be allowed for the line's units on its own (e.g. a replacement code)."""
        try:
            track = line.profile.conversion_factor_track if line.profile else "non_qp"
            fee = pricer_for(self.ref, line.dos, line.locality, track).price([code], [line.units or 1],
                                                                             [line.modifiers])
        except PtcalcInputError:
            return None
        return fee.total

    def pricing_problem(self, line: ChargeLine) -> str | None:
        return self._prices[2].get((line.patient_id, line.dos))

    @property
    def pricing_bases(self) -> list[PricingBasis]:
        return self._prices[3]

    # Units ---------------------------------------------------------------------------
    @property
    def unit_mismatches(self) -> list[tuple[Visit, VisitUnits]]:
        """Visits whose billed timed units differ from the expected ones, code by code."""
        return self._units.mismatches

    @property
    def visit_total_mismatches(self) -> list[tuple[Visit, VisitTotalUnits]]:
        """Visits without minutes per line whose timed units differ from what their total timed minutes support."""
        return self._units.total_mismatches

    def judged_on_visit_total(self, line: ChargeLine) -> bool:
        """The line's visit is judged on its total timed minutes: no minutes on the line is not missing."""
        return line.row in self._units.on_visit_total

    @cached_property
    def _units(self) -> _Units:
        """Expected units of every judgeable timed line, and the visits that do not match."""
        found = _Units({}, [], [], set(), [])
        by_line, by_visit = "minutes" in self.columns, "visit_timed_minutes" in self.columns
        if not (by_line or by_visit):
            return found  # no minutes at all (an 837): units cannot be judged (UNT005 says so)
        expected, mismatches = found.expected, found.mismatches
        splits = remembered(self.ref, "unit_splits")  # visits of the same shape split the same way
        rvus = self.ref.latest_fee_schedule.rows
        timed_codes = self._timed_codes
        for visit in self.visits:
            profile = visit.lines[0].profile
            timed = [l for l in visit.lines if l.cpt in timed_codes]
            if profile is None or not timed:
                continue
            method = profile.unit_method if visit.lines[0].secondary_payer is None else \
                self.unit_method_of(visit.lines[0])
            # Minutes for each code are voluntary (§220.3): a line without them is judged on the visit's total
            if by_visit and any(l.minutes is None and "minutes" not in l.bad for l in timed) \
                    and _visit_total(visit) is not None:
                self._judge_visit_total(visit, timed, method, found)
                continue
            if not by_line:
                continue
            if by_visit:
                self._compare_with_visit_total(visit, timed, found)
            # A timed line without minutes (and no visit total for them) leaves the visit's units unknown:
            # UNT005 asks for the minutes; judging them as 0 would call correct units an overbilling. A line
            # without units still has the units its minutes support (DAT001 says them), but is not compared.
            if len(timed) == 1:  # one line (most visits): both methods give the chart's units for its minutes
                line = timed[0]
                if line.minutes is None:
                    continue
                units = expected[line.row] = units_for_minutes(line.minutes)
                if line.units is None or units == line.units:
                    continue
            elif any(l.minutes is None for l in timed):
                continue
            minutes: dict[str, float] = {}
            billed: dict[str, int] = {}
            first: dict[str, int] = {}
            blank = []  # lines without units
            for line in timed:
                minutes[line.cpt] = minutes.get(line.cpt, 0.0) + line.minutes
                if line.units is None:
                    blank.append(line.row)
                else:
                    billed[line.cpt] = billed.get(line.cpt, 0) + line.units
                first.setdefault(line.cpt, line.row)
            shape = (method, tuple(minutes.items()))
            split = splits.get(shape)
            if split is None:
                split = splits[shape] = split_timed_units(shape[1], method, rvus)
            expected_by_code = dict(zip(minutes, split))
            rows = {l.row: expected_by_code[l.cpt] if first[l.cpt] == l.row else 0 for l in timed}
            if blank:  # only they are said (DAT001); the visit's billed units are judged once they are filled
                expected.update((row, rows[row]) for row in blank)
                continue
            expected.update(rows)
            if billed != expected_by_code:
                mismatches.append((visit, VisitUnits(method, sum(minutes.values()), rows, billed,
                                                     expected_by_code, minutes)))
        return found

    def unit_method_of(self, line: ChargeLine) -> str:
        """The rule that counts the timed units of the line's visit: its payer's, or where the claim's second payer
        counts them by the other rule, the one the clinic chose for such claims (ptcalc.yaml's unit_method_conflict:
        `primary`, the default, or `cms`, the 8-minute rule)."""
        primary = line.profile.unit_method if line.profile is not None else "CMS"
        if self._second_payers_other_method(line) is None:
            return primary
        return "CMS" if self.ref.unit_method_conflict == "cms" else primary

    def _second_payers_other_method(self, line: ChargeLine) -> str | None:
        """The unit rule of the line's second payer where it is not the line's payer's (None: the same, or unknown)."""
        second = self.secondary_profile(line)
        if second is None or line.profile is None or second.unit_method == line.profile.unit_method:
            return None
        return second.unit_method

    def secondary_profile(self, line: ChargeLine) -> PayerProfile | None:
        """The profile of the line's second payer, by its name (None: no second payer, or a name ptcalc does not
        know: its rules cannot be said)."""
        name = line.secondary_payer
        if name is None:
            return None
        profiles = self._memo.setdefault("secondary_profiles", {})
        if name not in profiles:
            kind = payer_type_of(name, self.ref)
            profiles[name] = select_profile(self.ref, kind, name) if kind is not None else None
        return profiles[name]

    @cached_property
    def unit_method_conflicts(self) -> list[Visit]:
        """Visits whose payer and second payer count timed units by different rules."""
        return [visit for visit in self.visits if visit.lines[0].secondary_payer is not None and
                self._second_payers_other_method(visit.lines[0]) is not None]

    @property
    def disagreeing_visit_totals(self) -> list[tuple[Visit, float, float]]:
        """Visits whose timed lines' minutes add up to other than their total timed minutes."""
        return self._units.disagreeing_totals

    @staticmethod
    def _compare_with_visit_total(visit: Visit, timed: list[ChargeLine], found: "_Units") -> None:
        total = _visit_total(visit)
        if total is None or any("minutes" in l.bad for l in timed):
            return
        added = sum(l.minutes or 0.0 for l in timed)
        if abs(added - total) >= 1:
            found.disagreeing_totals.append((visit, added, total))

    @staticmethod
    def _judge_visit_total(visit: Visit, timed: list[ChargeLine], method: str, found: "_Units") -> None:
        """CMS §220.3 has the note record the visit's total timed minutes, not each code's: the total sets
        the visit's timed units under the CMS rule. Under the AMA rule each code counts alone, so the
        total bounds them: a code of m minutes earns floor((m + 7) / 15) units, so k codes sharing T
        minutes earn at most floor((T + 7k) / 15). A visit whose lines give different totals is not judged."""
        total = _visit_total(visit)
        if total is None:
            return
        if len(timed) == 1:
            found.expected[timed[0].row] = units_for_minutes(total)
        if any(l.units is None for l in timed):
            return
        billed: dict[str, int] = {}
        for line in timed:
            billed[line.cpt] = billed.get(line.cpt, 0) + line.units
        exact = method == "CMS" or len(billed) == 1
        supported = units_for_minutes(total) if exact else int((total + 7 * len(billed)) // 15)
        found.on_visit_total.update(line.row for line in timed)
        billed_total = sum(billed.values())
        if billed_total > supported or (exact and billed_total < supported):
            found.total_mismatches.append((visit, VisitTotalUnits(method, total, billed, supported, exact)))

    @property
    def _timed_codes(self) -> frozenset[str]:
        return self.ref.timed_codes

    def expected_units_by_row(self) -> dict[int, int | None]:
        """Units each line should carry: the allocation for timed codes, 1 for untimed, None if unknown."""
        return self._expected_units

    @cached_property
    def _expected_units(self) -> dict[int, int | None]:
        timed = self._units.expected
        timed_codes = self._timed_codes
        untimed_codes = frozenset(code for code, info in self.ref.codes.items() if info.timing == "untimed")
        return {line.row: (timed.get(line.row) if line.cpt in timed_codes else
                           1 if line.cpt in untimed_codes else None) if line.judgeable else None
                for line in self.lines}

    # KX ------------------------------------------------------------------------------
    @cached_property
    def _liability_modifiers(self) -> frozenset[str]:
        return frozenset(m for m, info in self.ref.modifiers.items() if info.kind == "liability")

    def expected_denial(self, line: ChargeLine) -> str | None:
        """The line's GA, GZ or GY (reference/modifiers.yaml, kind liability): billed expecting Medicare to deny
        it (not medically necessary, or not a benefit)."""
        if not line.modifiers or self._liability_modifiers.isdisjoint(line.modifiers):
            return None
        return next(m for m in line.modifiers if m in self._liability_modifiers)

    def kx(self, line: ChargeLine) -> KxPoint | None:
        return self._kx_accrual[0].get(line.row)

    @property
    def kx_attention(self) -> list[ChargeLine]:
        """Lines over the KX threshold, or whose KX total cannot be computed (row order)."""
        return sorted(self._kx_accrual[1], key=_ROW)

    @cached_property
    def _kx_accrual(self) -> tuple[dict[int, KxPoint], list[ChargeLine]]:
        """Each accruing line's KX point, and the lines over the threshold or without a KX total."""
        accruals: dict[tuple, list[ChargeLine]] = defaultdict(list)
        for visit in self.visits:
            bucket = KX_BUCKETS.get(visit.discipline)
            if bucket:
                accruals[(visit.patient_id, visit.dos.year, bucket)].extend(
                    [l for l in visit.lines if l.profile is not None and l.profile.kx_applies
                     and (l.rendered_by is None or not self.outside_therapy(l))])
        points: dict[int, KxPoint] = {}
        attention: list[ChargeLine] = []
        allowed, problems = self._prices[0], self._prices[2]
        liability = self._liability_modifiers
        zero = Decimal("0.00")
        for (patient_id, year, bucket), lines in accruals.items():
            lines.sort(key=_DATE_AND_ROW)
            prior = next((l.ytd_prior for l in lines if l.ytd_prior is not None), None)
            prior_known = prior is not None or "ytd_prior" in self.columns
            prior = prior or 0.0
            running = Decimal(str(prior))
            for day, day_lines in groupby(lines, key=_DATE):
                day_lines = list(day_lines)
                problem = problems.get((patient_id, day))
                # A line billed expecting a denial (GA, GZ, GY: expected_denial) has no allowed amount to accrue
                visit_allowed = sum([allowed.get(l.row) or zero for l in day_lines
                                     if not l.modifiers or liability.isdisjoint(l.modifiers)], zero)
                running += visit_allowed
                status = None
                if problem is None:
                    try:
                        status = status_for_total(self.ref, float(running), year, bucket)
                    except PtcalcInputError as exc:
                        problem = str(exc).removeprefix("date: ")
                point = KxPoint(status, visit_allowed, problem, prior_known)
                for line in day_lines:
                    points[line.row] = point
                if status is None or status.needs_kx:
                    attention += day_lines
        return points, attention


def _visit_total(visit: Visit) -> float | None:
    """The visit's total timed minutes: one value on its lines (given on each, or on one), readable on all."""
    totals = {l.visit_timed_minutes for l in visit.lines if l.visit_timed_minutes is not None}
    if len(totals) != 1 or any("visit_timed_minutes" in l.bad for l in visit.lines):
        return None
    return totals.pop()


def _index(lines: list[ChargeLine], attribute: str) -> dict[object, list[ChargeLine]]:
    grouped: dict[object, list[ChargeLine]] = defaultdict(list)
    for line in lines:
        grouped[getattr(line, attribute)].append(line)
    return grouped


_DATE_AND_ROW, _DATE, _ROW = attrgetter("dos", "row"), attrgetter("dos"), attrgetter("row")

"""What the rules share about a sheet, computed once: payer profiles, visits, prices, units, KX.

- A visit is patient + date of service + discipline: units and NCCI pairs are judged per visit.
- A day is patient + date of service: the therapy MPPR spans every discipline on a day
  (NGS, facts §3.3), and MUEs count per date of service.
- KX accrues per patient, calendar year and bucket (PT/SLP, OT), in date order, starting from
  `ytd_prior`, on PFS allowed amounts, for payer profiles where the KX threshold applies.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cached_property

from ..errors import PtcalcInputError
from ..fees import PRICED_STATUSES, ZERO_STATUSES, PricingBasis, VisitPricer
from ..kx import KxStatus, status_for_total
from ..refdata import Reference
from ..periods import by_year
from ..refdata.model import CodeInfo, FeeRow, PayerProfile
from ..units import UnitAllocation, allocate_units
from .lines import ChargeLine

KX_BUCKETS = {"PT": "PT/SLP", "SLP": "PT/SLP", "OT": "OT"}


def select_profile(ref: Reference, payer_type: str, payer: str) -> PayerProfile | None:
    """The profile named for this payer (payer_names), else the one for its payer type."""
    name = payer.lower()
    candidates = [p for p in ref.payers if payer_type in p.payer_types]
    for profile in candidates:
        if name and any(n in name for n in profile.payer_names):
            return profile
    return next((p for p in candidates if not p.payer_names), None)


@dataclass
class Visit:
    patient_id: str
    dos: date
    discipline: str
    lines: list[ChargeLine]


@dataclass
class VisitUnits:
    """Expected units of a visit's lines under the payer's unit method."""

    method: str
    allocation: UnitAllocation
    expected: dict[int, int]  # row -> expected units, for the timed lines
    billed_by_code: dict[str, int]
    expected_by_code: dict[str, int]
    minutes_by_code: dict[str, float]


@dataclass(frozen=True)
class KxPoint:
    """A line's place in its patient's KX accrual."""

    status: KxStatus | None  # None when the year cannot be priced or has no threshold
    visit_allowed: Decimal
    problem: str | None = None


class ScrubContext:
    def __init__(self, ref: Reference, lines: list[ChargeLine], columns: set[str], as_of: date) -> None:
        self.ref = ref
        self.lines = lines
        self.columns = columns
        self.as_of = as_of
        self._profiles: dict[tuple[str, str], PayerProfile | None] = {}

    # Lines ---------------------------------------------------------------------------
    def code(self, line: ChargeLine) -> CodeInfo | None:
        return self.ref.codes.get(line.cpt) if line.cpt else None

    def profile(self, line: ChargeLine) -> PayerProfile | None:
        if line.payer_type is None:
            return None
        key = (line.payer_type, line.payer)
        if key not in self._profiles:
            self._profiles[key] = select_profile(self.ref, line.payer_type, line.payer)
        return self._profiles[key]

    def judgeable(self, line: ChargeLine) -> bool:
        """Patient, date and a known code are readable: other rules can judge the line."""
        return (line.patient_id is not None and line.dos is not None and line.cpt is not None
                and not line.bad("patient_id") and not line.bad("dos") and line.cpt in self.ref.codes)

    # Visits and days -----------------------------------------------------------------
    @cached_property
    def visits(self) -> list[Visit]:
        grouped: dict[tuple, Visit] = {}
        for line in self.lines:
            if self.judgeable(line):
                key = (line.patient_id, line.dos, line.discipline or "PT")
                grouped.setdefault(key, Visit(*key, [])).lines.append(line)
        return list(grouped.values())

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
        bases: dict[tuple, PricingBasis] = {}
        for key, lines in self.days.items():
            try:
                pricer = VisitPricer(self.ref, key[1], lines[0].locality)
            except PtcalcInputError as exc:
                problems[key] = str(exc).removeprefix("date: ")
                continue
            rows = pricer.schedule.rows
            priced = [l for l in lines if l.units is not None and not l.bad("units") and l.cpt in rows
                      and rows[l.cpt].status in PRICED_STATUSES | ZERO_STATUSES]
            if not priced:
                continue
            fee = pricer.price([l.cpt for l in priced], [l.units for l in priced], [l.modifiers for l in priced])
            bases.setdefault((pricer.basis.fee_schedule, pricer.basis.gpci_year, pricer.basis.fallbacks), pricer.basis)
            for line, fee_line in zip(priced, fee.lines):
                allowed[line.row] = fee_line.amount
                one = fee_line.unit_reduced if fee_line.status in PRICED_STATUSES else Decimal("0.00")
                if fee_line.assistant and pricer.assistant_rate is not None:
                    one = (one * pricer.assistant_rate).quantize(Decimal("0.01"))
                unit_price[line.row] = one
        return allowed, unit_price, problems, list(bases.values())

    def allowed(self, line: ChargeLine) -> Decimal | None:
        """The line's PFS allowed amount (MPPR across the patient's day, CQ/CO at 85%)."""
        return self._prices[0].get(line.row)

    def unit_price(self, line: ChargeLine) -> Decimal | None:
        """What one unit more or less of this line is worth (a subsequent, MPPR-reduced unit)."""
        return self._prices[1].get(line.row)

    def fee_row(self, line: ChargeLine) -> FeeRow | None:
        """The line's code in the fee schedule of its date of service (or the newest before it)."""
        try:
            return by_year(self.ref.fee_schedules, line.dos.year, "fee schedule").table.rows.get(line.cpt)
        except PtcalcInputError:
            return None

    def price_alone(self, line: ChargeLine, code: str) -> Decimal | None:
        """What `code` would be allowed for the line's units on its own (e.g. a replacement code)."""
        try:
            fee = VisitPricer(self.ref, line.dos, line.locality).price([code], [line.units or 1], [line.modifiers])
        except PtcalcInputError:
            return None
        return fee.total

    def pricing_problem(self, line: ChargeLine) -> str | None:
        return self._prices[2].get((line.patient_id, line.dos))

    @property
    def pricing_bases(self) -> list[PricingBasis]:
        return self._prices[3]

    # Units ---------------------------------------------------------------------------
    def visit_units(self, visit: Visit) -> VisitUnits | None:
        """Expected units of the visit's timed lines; None when a timed line's minutes or units are unreadable."""
        return self._units.get(id(visit))

    @cached_property
    def _units(self) -> dict[int, VisitUnits]:
        result = {}
        for visit in self.visits:
            profile = self.profile(visit.lines[0])
            timed = [l for l in visit.lines if self.ref.codes[l.cpt].timed]
            if profile is None or not timed or any(l.bad("minutes") or l.bad("units") or l.units is None
                                                   for l in timed):
                continue
            allocation = allocate_units([l.minutes for l in timed], [l.cpt for l in timed], profile.unit_method,
                                        self.ref)
            billed: dict[str, int] = defaultdict(int)
            expected: dict[str, int] = defaultdict(int)
            minutes: dict[str, float] = defaultdict(float)
            for line, units in zip(timed, allocation.units):
                billed[line.cpt] += line.units
                expected[line.cpt] += units
                minutes[line.cpt] += line.minutes or 0.0
            result[id(visit)] = VisitUnits(profile.unit_method, allocation,
                                           {l.row: u for l, u in zip(timed, allocation.units)},
                                           dict(billed), dict(expected), dict(minutes))
        return result

    def expected_units(self, line: ChargeLine) -> int | None:
        """Units the line should carry: the allocation for timed codes, 1 for untimed, None if unknown."""
        info = self.code(line)
        if info is None or not self.judgeable(line):
            return None
        if info.timing == "untimed":
            return 1
        visit = self.visit_of(line)
        units = self.visit_units(visit) if visit else None
        return units.expected.get(line.row) if units else None

    # KX ------------------------------------------------------------------------------
    def kx(self, line: ChargeLine) -> KxPoint | None:
        return self._kx.get(line.row)

    @cached_property
    def _kx(self) -> dict[int, KxPoint]:
        accruals: dict[tuple, list[ChargeLine]] = defaultdict(list)
        for visit in self.visits:
            bucket = KX_BUCKETS.get(visit.discipline)
            for line in visit.lines:
                profile = self.profile(line)
                if bucket and profile is not None and profile.kx_applies:
                    accruals[(line.patient_id, line.dos.year, bucket)].append(line)
        points: dict[int, KxPoint] = {}
        for (_, year, bucket), lines in accruals.items():
            lines.sort(key=lambda l: (l.dos, l.row))
            prior = next((l.ytd_prior for l in lines if l.ytd_prior is not None), 0.0)
            running = Decimal(str(prior))
            by_day: dict[date, list[ChargeLine]] = defaultdict(list)
            for line in lines:
                by_day[line.dos].append(line)
            for day, day_lines in by_day.items():
                problem = self.pricing_problem(day_lines[0])
                visit_allowed = sum((self.allowed(l) or Decimal(0) for l in day_lines), Decimal("0.00"))
                running += visit_allowed
                status = None
                if problem is None:
                    try:
                        status = status_for_total(self.ref, float(running), year, bucket)
                    except PtcalcInputError as exc:
                        problem = str(exc).removeprefix("date: ")
                for line in day_lines:
                    points[line.row] = KxPoint(status, visit_allowed, problem)
        return points

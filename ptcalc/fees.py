"""Medicare PFS allowed amounts for one patient's services on one date.

Per unit: [(work × GPCIw) + (PE × GPCIpe) + (MP × GPCImp)] × CF, non-facility PE (therapy is
paid at the non-facility rate in every setting). Therapy MPPR (MULT PROC 5): the single unit
with the highest PE in the visit is paid in full, every other unit gets half its PE. Each
unit's amount is rounded half-up to cents; a line is the sum of its units, ×0.85 on CQ/CO
lines (rounded to cents); the visit is the sum of its lines. Arithmetic is in Decimal so a
half cent rounds the way MACs publish it.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

from .errors import PtcalcInputError
from .localities import locality_key
from .periods import InForce, by_year, conversion_factor
from .refdata import Reference, load_reference
from .refdata.model import NATIONAL_GPCI, QUALITY_STATUS, FeeRow, Gpci
from .values import describe, is_blank, normalise_code, parse_count, parse_date_or_year, parse_modifiers

CENT = Decimal("0.01")
NO_DOLLARS = Decimal("0.00")
PRICED_STATUSES = frozenset("AT")
ZERO_STATUSES = frozenset("BINPEXM")  # bundled, invalid for Medicare, non-covered, excluded...
PRICEABLE_STATUSES = PRICED_STATUSES | ZERO_STATUSES  # a price, or a known zero
THERAPY_MPPR = 5
ASSISTANT_MODIFIERS = frozenset({"CQ", "CO"})


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class UnitPrice:
    """One code's price per unit in one locality and year: full, and with the MPPR half PE."""

    code: str
    status: str
    full: Decimal
    reduced: Decimal
    pe_payment: Decimal  # ranks units for the MPPR
    mppr: bool


class FeeLine(NamedTuple):
    """One line of a priced visit (a named tuple: immutable, and made in a third of a frozen dataclass's time;
    the scrub prices every new shape of a patient's day)."""

    code: str
    units: int
    modifiers: tuple[str, ...]
    status: str
    full_units: int
    reduced_units: int
    unit_full: Decimal
    unit_reduced: Decimal
    assistant: bool
    amount: Decimal
    note: str


@dataclass(frozen=True)
class PricingBasis:
    """The tables a price was computed from, with any fallback said in words."""

    day: date
    locality: str
    locality_name: str
    fee_schedule: str
    gpci_year: int | None
    conversion_factor: Decimal
    fallbacks: tuple[str, ...]


class VisitFee(NamedTuple):  # immutable; made on every PT_FEE call, and a named tuple is quicker to make
    lines: tuple[FeeLine, ...]
    basis: PricingBasis

    @property
    def total(self) -> Decimal:
        return sum([line.amount for line in self.lines], NO_DOLLARS)

    def explain(self) -> str:
        parts = []
        for line in self.lines:
            if line.note:
                parts.append(f"{line.code} ×{line.units}: {line.note} = ${line.amount}")
                continue
            pieces = []
            if line.full_units:
                pieces.append(f"{line.full_units} × ${line.unit_full}")
            if line.reduced_units:
                pieces.append(f"{line.reduced_units} × ${line.unit_reduced} (MPPR half PE)")
            cq = " × 85% (CQ/CO)" if line.assistant else ""
            parts.append(f"{line.code} ×{line.units}: {' + '.join(pieces) or '$0.00'}{cq} = ${line.amount}")
        basis = self.basis
        head = (f"{basis.fee_schedule}, {basis.locality_name}, CF {basis.conversion_factor}"
                + "".join(f"; {f}" for f in basis.fallbacks))
        return f"{head}. " + "; ".join(parts) + f". Total ${self.total}."


def _unit_price(code: str, row: FeeRow, gpci: Gpci, cf: Decimal) -> UnitPrice:
    d = lambda x: Decimal(str(x))  # noqa: E731 - exact decimal of a YAML float
    work = d(row.work) * d(gpci.work)
    pe = d(row.pe) * d(gpci.pe)
    mp = d(row.mp) * d(gpci.mp)
    mppr = row.mult_proc == THERAPY_MPPR
    return UnitPrice(code, row.status, cents((work + pe + mp) * cf),
                     cents((work + pe / 2 + mp) * cf) if mppr else cents((work + pe + mp) * cf),
                     pe * cf, mppr)


def parse_locality(ref: Reference, value: Any, day: date) -> tuple[Gpci, InForce | None]:
    key = locality_key(ref, value)
    if key == "national":
        return NATIONAL_GPCI, None
    in_force = by_year(ref.gpcis, day.year, "GPCIs")
    gpci = in_force.table.rows.get(key)
    if gpci is None:
        raise PtcalcInputError(f"locality: {describe(value)} is not a locality of the {in_force.table.year} GPCI file "
                               f"({in_force.table.source_file})")
    return gpci, in_force


_MAX_REMEMBERED_VISITS = 100_000


class VisitPricer:
    """Prices visits on one date in one locality; unit prices are cached per reference version."""

    def __init__(self, ref: Reference, day: date, locality: Any = "national", track: str = "non_qp") -> None:
        self.ref = ref
        self.day = day
        schedule = by_year(ref.fee_schedules, day.year, "fee schedule")
        self.gpci, gpci_in_force = parse_locality(ref, locality, day)
        factor = conversion_factor(ref, day, track)
        self.schedule = schedule.table
        self.cf = Decimal(str(factor.table.amount))
        rate = ref.constants["assistant_payment_rate"]
        self.assistant_rate = Decimal(str(rate.value)) if rate.effective_from <= day else None
        fallbacks = tuple(f.fallback for f in (schedule, gpci_in_force, factor) if f and f.fallback)
        self.basis = PricingBasis(day, self.gpci.locality, self.gpci.name, self.schedule.release,
                                  gpci_in_force.year if gpci_in_force else None, self.cf, fallbacks)
        # What decides every price this pricer gives: pricers of other days with the same key price alike.
        self.prices_key = ("unit_prices", self.schedule.year, self.gpci.locality, self.cf)
        self._prices = ref.caches.setdefault(self.prices_key, {})
        key = ("priceable_codes", self.schedule.year, self.schedule.release)
        if key not in ref.caches:
            ref.caches[key] = frozenset(code for code, row in self.schedule.rows.items()
                                        if row.status in PRICEABLE_STATUSES)
        self.priceable_codes: frozenset[str] = ref.caches[key]  # a price, or a known zero
        self._visits: dict[tuple, VisitFee] = {}

    def unit_price(self, code: str) -> UnitPrice:
        price = self._prices.get(code)
        if price is None:
            row = self.schedule.rows.get(code)
            if row is None and code in self.ref.quality_codes:  # a quality data code: reported, never paid
                row = FeeRow(code, QUALITY_STATUS, False, 0.0, 0.0, 0.0, 0, "9")
            if row is None:
                raise PtcalcInputError(f"codes: {code!r} is not in the {self.schedule.year} fee schedule")
            price = self._prices[code] = _unit_price(code, row, self.gpci, self.cf)
        return price

    def price(self, codes: Sequence[str], units: Sequence[int],
              modifiers: Sequence[tuple[str, ...]]) -> VisitFee:
        """The visit's fee; a visit of the same codes, units and modifiers priced before is remembered (a
        worksheet prices the same visit row after row)."""
        shape = (tuple(codes), tuple(units), tuple(modifiers))
        fee = self._visits.get(shape)
        if fee is None:
            if len(self._visits) >= _MAX_REMEMBERED_VISITS:  # a long-lived process (the Excel UDF server) stays bounded
                self._visits.clear()
            fee = self._visits[shape] = self.price_anew(codes, units, modifiers)
        return fee

    def price_anew(self, codes: Sequence[str], units: Sequence[int],
                   modifiers: Sequence[tuple[str, ...]]) -> VisitFee:
        """The visit's fee, not remembered: for a caller that keeps its own (the scrub remembers a day's amounts by
        its shape across pricers and partitions; a second memo here only held every VisitFee alive)."""
        prices = [self.unit_price(code) for code in codes]
        for price in prices:
            if price.status not in PRICED_STATUSES and price.status not in ZERO_STATUSES:
                raise PtcalcInputError(f"codes: {price.code} has PFS status {price.status} "
                                       "(contractor-priced or restricted): no national fee to compute")
        # The one unit paid in full under the MPPR: the highest PE payment; on a tie a line without CQ/CO
        # (its full unit is not cut to 85%), then the first line, so the total never depends on row order.
        candidates = [i for i, (p, n) in enumerate(zip(prices, units))
                      if p.mppr and p.status in PRICED_STATUSES and n > 0]
        full_line = candidates[0] if len(candidates) == 1 else max(
            candidates, key=lambda i: (prices[i].pe_payment, ASSISTANT_MODIFIERS.isdisjoint(modifiers[i]), -i),
            default=None)
        lines = []
        for index, (price, count, mods) in enumerate(zip(prices, units, modifiers)):
            assistant = bool(mods) and not ASSISTANT_MODIFIERS.isdisjoint(mods) and self.assistant_rate is not None
            if price.status in ZERO_STATUSES:
                lines.append(FeeLine(price.code, count, mods, price.status, 0, 0, NO_DOLLARS, NO_DOLLARS, assistant,
                                     NO_DOLLARS, f"PFS status {price.status}, not paid separately"))
                continue
            full_units = count if not price.mppr else (1 if index == full_line else 0)
            reduced_units = count - full_units
            # Decimal times a whole number of units; a term of no units is left out (most lines have one)
            amount = (price.full * full_units if full_units else NO_DOLLARS) + \
                (price.reduced * reduced_units if reduced_units else NO_DOLLARS)
            if assistant:
                amount = cents(amount * self.assistant_rate)
            lines.append(FeeLine(price.code, count, mods, price.status, full_units, reduced_units,
                                 price.full, price.reduced, assistant, amount, ""))
        return VisitFee(tuple(lines), self.basis)


def _aligned(values: Any, count: int, field: str) -> list[Any]:
    """A scalar applies to every line; a list must have one value per code."""
    if not isinstance(values, (list, tuple)):
        return [values] * count
    if len(values) != count:
        raise PtcalcInputError(f"{field}: {len(values)} values for {count} codes; the ranges must align")
    return list(values)


def visit_fee(codes: Any, units: Any = None, locality: Any = "national", date_of_service: Any = None,
              modifiers: Any = None, reference: Reference | None = None, track: str = "non_qp") -> VisitFee:
    """Allowed amount of one visit (`track` "qp" prices with the Qualifying APM Participant conversion
    factor). Rows with neither code nor units are skipped."""
    ref = reference or load_reference()
    code_list = list(codes) if isinstance(codes, (list, tuple)) else [codes]
    # Default units: 1 for each code, none for a blank row (a visit's range sized for more codes than it has)
    unit_list = [None if is_blank(code) else 1 for code in code_list] if units is None \
        else _aligned(units, len(code_list), "units")
    modifier_list = _aligned(modifiers, len(code_list), "modifiers")
    ranged = len(code_list) > 1
    kept_codes, kept_units, kept_modifiers = [], [], []
    for index, (code, count, mods) in enumerate(zip(code_list, unit_list, modifier_list)):
        if is_blank(code):
            if not is_blank(count) and count != 0:
                raise PtcalcInputError(f"codes: row {index + 1} has units but no code")
            continue
        try:
            kept_codes.append(normalise_code(code, "codes"))
            kept_units.append(parse_count(count, "units", minimum=0))
            kept_modifiers.append(() if mods is None else _known_modifiers(mods, ref))
        except PtcalcInputError as exc:
            if not ranged:
                raise
            raise PtcalcInputError(f"{exc} (row {index + 1} of the range)") from None
    if not kept_codes:
        raise PtcalcInputError("codes: no procedure code given")
    for code, mods in zip(kept_codes, kept_modifiers):
        assisted = ASSISTANT_MODIFIERS.intersection(mods) if mods else None
        if assisted and (info := ref.codes.get(code)) is not None and info.is_evaluation:
            raise PtcalcInputError(f"modifiers: {'/'.join(sorted(assisted))} on {code}, an evaluation code: "
                                   "assistants do not evaluate, so Medicare does not pay it with CQ/CO")
    day = _service_date(ref, date_of_service)
    return pricer_for(ref, day, locality, track).price(kept_codes, kept_units, kept_modifiers)


def _known_modifiers(cell: Any, ref: Reference) -> tuple[str, ...]:
    """A line's modifiers, each one ptcalc knows: a typo of CQ (`CW`) priced at the full rate, or a locality
    given in the modifiers' place, would be a silent wrong amount."""
    if is_blank(cell):
        return ()
    known = frozenset(ref.modifiers)
    modifiers = parse_modifiers(cell, known)
    if unknown := [m for m in modifiers if m not in known]:
        which = "is not a modifier" if len(unknown) == 1 else "are not modifiers"
        what = describe(cell) if len(modifiers) == 1 else f"{describe(cell)}: {', '.join(unknown)}"
        raise PtcalcInputError(f"modifiers: {what} {which} ptcalc knows (reference/modifiers.yaml); only CQ "
                               "and CO change the amount: leave others out")
    return modifiers


def pricer_for(ref: Reference, day: date, locality: Any = "national", track: str = "non_qp") -> VisitPricer:
    """A pricer for a date, locality and conversion-factor track (non_qp, or qp for a Qualifying APM
    Participant), kept with the reference data (a worksheet prices the same date and locality over
    and over)."""
    key = ("pricer", day, locality if isinstance(locality, str) or locality is None else repr(locality), track)
    pricer = ref.caches.get(key)
    if pricer is None:
        pricer = ref.caches[key] = VisitPricer(ref, day, locality, track)
    return pricer


def _service_date(ref: Reference, value: Any) -> date:
    if is_blank(value):
        return date(max(ref.fee_schedules), 1, 1)
    return parse_date_or_year(value, "date")

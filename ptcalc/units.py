"""Billable 15-minute units: Medicare's aggregate 8-minute rule and the AMA per-code rule.

CMS (Pub. 100-04 ch.5 §20.2): the timed minutes of a visit are pooled, the pool sets the
number of units, each code first gets its whole 15-minute blocks, and the units left over go
one each to the codes with the most minutes left over. Ties go to the code with the higher
total RVU in the latest fee schedule, then to the earlier row. This reproduces all five
worked examples of §20.2. AMA/CPT: each code on its own, a unit once the 7.5-minute midpoint
of a 15-minute block is passed.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .errors import PtcalcInputError
from .refdata import Reference, load_reference
from .values import describe, is_blank, normalise_code, parse_minutes, time_cell_shown

METHODS = ("CMS", "AMA")


def units_for_minutes(minutes: float) -> int:
    """The §20.2 chart: 0 below 8 minutes, then one unit per 15 minutes from 8 (8-22 = 1, 23-37 = 2...)."""
    return int((minutes + 7) // 15) if minutes >= 8 else 0


# The two methods by the names billing staff give them: Medicare's "8-minute rule" (CMS: the visit's total timed
# minutes), and CPT's time convention (AMA: each code's own minutes, a unit once past the midpoint, "a substantial
# portion" of 15 minutes), as commercial payers apply it. "Rule of eights" names either (WebPT's guides use it for
# Medicare's rule, others for the AMA's): refused, saying so.
METHOD_NAMES = {"medicare": "CMS", "8minuterule": "CMS", "eightminuterule": "CMS", "medicare8minuterule": "CMS",
                "cmsrule": "CMS", "cms8minuterule": "CMS", "ama8minuterule": "AMA", "amarule": "AMA", "cpt": "AMA",
                "substantialportion": "AMA", "midpoint": "AMA"}
_EITHER = frozenset({"ruleofeights", "ruleof8s", "ruleof8", "ruleofeight"})


def parse_method(method: Any) -> str:
    if is_blank(method):
        return "CMS"
    text = str(method).strip().upper()
    if text in METHODS:
        return text
    key = "".join(ch for ch in text.lower() if ch.isalnum())
    if key in _EITHER:
        raise PtcalcInputError(f"method: {describe(method)} names either rule: give CMS (Medicare's 8-minute rule: "
                               "the visit's total minutes) or AMA (each code's own minutes)")
    if key not in METHOD_NAMES:
        raise PtcalcInputError(f"method: {describe(method)} is not CMS (the 8-minute rule) or AMA (each code's own "
                               "minutes)")
    return METHOD_NAMES[key]


@dataclass(frozen=True, slots=True)
class LineUnits:
    """The units of one input row."""

    row: int  # 0-based position in the input
    code: str | None
    minutes: float
    units: int
    repeat: bool = False  # the code's minutes and units are on an earlier row


@dataclass
class _CodeGroup:
    code: str
    first_row: int
    timing: str
    minutes: float = 0.0
    units: int = 0


@dataclass(frozen=True)
class UnitAllocation:
    method: str
    timed_minutes: float
    timed_units: int
    lines: tuple[LineUnits, ...]
    groups: tuple[_CodeGroup, ...] = ()
    rvus: dict = field(default_factory=dict, repr=False)  # ranks tied codes in the explanation

    @property
    def units(self) -> list[int]:
        return [line.units for line in self.lines]

    @property
    def total(self) -> int:
        return sum(self.units)

    @property
    def notes(self) -> list[str]:
        """Ties the allocation had to break, in words."""
        if self.method != "CMS":
            return []
        timed = [g for g in self.groups if g.timing == "timed"]
        return _tie_notes(timed, self.rvus)

    def explain(self) -> str:
        """In words: the pooled minutes, then why each code has its units (built only when asked)."""
        head = (f"{self.method}: {_minutes(self.timed_minutes)} timed minutes support "
                f"{self.timed_units} unit{'s' if self.timed_units != 1 else ''}.")
        reasons = {g.code: _reason(g, self.method) for g in self.groups}
        parts = [head]
        for line in self.lines:
            if line.repeat:
                parts.append(f"{line.code} again: its minutes are counted on its first row.")
            elif line.code:
                parts.append(reasons[line.code])
        return " ".join(parts + self.notes)


def _minutes(value: float) -> str:
    return f"{value:g}"


def _row_suffix(index: int, count: int) -> str:
    return f" (row {index + 1} of the range)" if count > 1 else ""


def parse_minutes_list(minutes: Sequence[Any]) -> list[float]:
    """The minutes of a function's cells. A number under one minute (not 0) is refused: xlwings Lite hands a time
    cell (0:38) over as its fraction of a day (0.0264), which read as minutes would silently bill 0 units."""
    parsed = []
    for index, value in enumerate(minutes):
        try:
            number = parse_minutes(value)
            if clock := time_cell_shown(number):
                raise PtcalcInputError(f"minutes: {describe(value)} is less than a minute: a time cell ({clock})? "
                                       "Give minutes as a number (a time cell times 1440: =PT_UNITS(B2*1440)) or "
                                       f"as text ('{clock}')")
        except PtcalcInputError as exc:
            raise PtcalcInputError(f"{exc}{_row_suffix(index, len(minutes))}") from None
        parsed.append(number)
    return parsed


def total_units(minutes: Sequence[Any], method: Any = "CMS") -> int:
    """Units for minutes without codes: CMS pools them all, AMA counts each entry alone."""
    method = parse_method(method)
    values = parse_minutes_list(minutes)
    if method == "CMS":
        return units_for_minutes(sum(values))
    return sum(units_for_minutes(m) for m in values)


def allocate_units(minutes: Sequence[Any], codes: Sequence[Any], method: Any = "CMS",
                   reference: Reference | None = None) -> UnitAllocation:
    """Units per row for one patient's visit: codes and minutes aligned row by row."""
    method = parse_method(method)
    if len(codes) != len(minutes):
        raise PtcalcInputError(f"codes: {len(codes)} codes for {len(minutes)} minutes; the ranges must align")
    ref = reference or load_reference()
    values = parse_minutes_list(minutes)
    groups: dict[str, _CodeGroup] = {}
    row_codes: list[str | None] = []
    for index, (raw_code, value) in enumerate(zip(codes, values)):
        if is_blank(raw_code):
            if value > 0:
                raise PtcalcInputError(f"codes: row {index + 1} has {_minutes(value)} minutes but no code")
            row_codes.append(None)
            continue
        code = normalise_code(raw_code, "codes", modifiers_after=True)  # units do not depend on the modifiers
        info = ref.codes.get(code)
        if info is None and code in METHODS:
            raise PtcalcInputError(f"codes: {code!r} is a unit method, not a code: the method comes after the codes")
        if info is None:
            raise PtcalcInputError(f"codes: {code!r} is not in the reference code table{_row_suffix(index, len(codes))}")
        if info.timing == "other":
            raise PtcalcInputError(f"codes: {code} ({info.label}) is counted by its own time descriptor, "
                                   "not in 15-minute units; enter its units by hand")
        group = groups.setdefault(code, _CodeGroup(code, index, info.timing))
        group.minutes += value
        row_codes.append(code)
    timed = [g for g in groups.values() if g.timing == "timed"]
    for group in groups.values():
        if group.timing == "untimed":
            group.units = 1
    pooled = sum(g.minutes for g in timed)
    rvus = ref.latest_fee_schedule.rows
    units = split_timed_units(tuple((g.code, g.minutes) for g in timed), method, rvus)
    for group, count in zip(timed, units):
        group.units = count
    pooled_units = sum(units)
    lines = []
    for index, (code, value) in enumerate(zip(row_codes, values)):
        group = groups.get(code) if code else None
        if group is None or group.first_row != index:
            lines.append(LineUnits(index, code, value, 0, repeat=group is not None))
        else:
            lines.append(LineUnits(index, code, group.minutes, group.units))
    return UnitAllocation(method, pooled, pooled_units, tuple(lines), tuple(groups.values()), rvus)


def split_timed_units(visit: tuple[tuple[str, float], ...], method: str, rvus: dict) -> tuple[int, ...]:
    """Units per timed code of one visit (codes distinct, in first-row order): the core of the rules.

    CMS: whole 15-minute blocks first, then the leftover units to the largest leftover minutes
    (ties: higher total RVU in `rvus`, then the earlier code). AMA: each code on its own.
    """
    if method == "AMA":
        return tuple(units_for_minutes(minutes) for _, minutes in visit)
    total = units_for_minutes(sum(minutes for _, minutes in visit))
    full = [int(minutes // 15) for _, minutes in visit]
    remaining = total - sum(full)
    if remaining <= 0:
        return tuple(full)
    left = [minutes - 15 * units for (_, minutes), units in zip(visit, full)]
    order = sorted(range(len(visit)), key=lambda i: (-left[i], i))
    if remaining < len(visit) and left[order[remaining - 1]] == left[order[remaining]]:
        # Equal leftovers on both sides of the cut: the higher total RVU takes the unit (most visits have no tie)
        order = sorted(range(len(visit)), key=lambda i: (-left[i], -_rvu(rvus, visit[i][0]), i))
    for i in order[:remaining]:
        full[i] += 1
    return tuple(full)


def _reason(group: _CodeGroup, method: str) -> str:
    """Why one code has its units, in words."""
    code, minutes, count = group.code, group.minutes, group.units
    if group.timing == "untimed":
        return f"{code} is untimed: 1 unit; its minutes are not pooled."
    if method == "AMA":
        return f"{code} {_minutes(minutes)} min on its own: {count} unit{'s' if count != 1 else ''}."
    full = int(minutes // 15)
    left = minutes - 15 * full
    parts = [f"{code} {_minutes(minutes)} min:"]
    if full:
        parts.append(f"{full} full unit{'s' if full > 1 else ''}")
    if left:
        verdict = "gets a leftover unit" if count > full else "no leftover unit"
        parts.append(f"{'+ ' if full else ''}{_minutes(left)} min left over ({verdict})")
    parts.append(f"= {count}.")
    return " ".join(parts)


def _tie_notes(timed: list[_CodeGroup], rvus: dict) -> list[str]:
    """A tie the CMS allocation broke: codes with equal leftover minutes on both sides of the cut."""
    left = {g.code: g.minutes - 15 * int(g.minutes // 15) for g in timed}
    winners = {g.code for g in timed if g.units > int(g.minutes // 15)}
    losers = [g.code for g in timed if g.code not in winners and left[g.code] > 0]
    tied_left = {left[c] for c in winners} & {left[c] for c in losers}
    if not tied_left:
        return []
    value = max(tied_left)
    tied = [g.code for g in sorted(timed, key=lambda g: (-_rvu(rvus, g.code), g.first_row)) if left[g.code] == value]
    chosen = [c for c in tied if c in winners]
    return [f"Tie: {', '.join(tied)} each have {_minutes(value)} minutes left over; {', '.join(chosen)} took the "
            "unit (higher total RVU, then earlier row). CMS lets the provider choose between tied codes."]


def _rvu(rows: dict, code: str) -> float:
    row = rows.get(code)
    return row.total_rvu if row else 0.0

"""Which table is in force on a date of service, and the fallback when a table lags.

A yearly table (fee schedule, GPCIs, KX threshold) is used for its own calendar year. A date
after the newest year uses the newest table and says so (e.g. 2027 services priced with 2026
GPCIs until the 2027 file is imported); a date before the oldest year has no data.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Generic, TypeVar

from .errors import PtcalcInputError
from .refdata.model import ConversionFactor, Reference

T = TypeVar("T")


@dataclass(frozen=True)
class InForce(Generic[T]):
    table: T
    year: int
    fallback: str | None = None  # why another year's table is used, in words


def by_year(tables: dict[int, T], year: int, what: str) -> InForce[T]:
    if year in tables:
        return InForce(tables[year], year)
    earlier = [y for y in tables if y < year]
    if not earlier:
        first = min(tables)
        raise PtcalcInputError(f"date: no {what} for {year} in the reference data (it starts in {first})")
    used = max(earlier)
    return InForce(tables[used], used, f"{year} {what} not in the reference data; {used} used")


def conversion_factor(ref: Reference, day: date, track: str = "non_qp") -> InForce[ConversionFactor]:
    """The CF for a date: the given track, else the single (standard) CF of that period."""
    for wanted in (track, "standard"):
        for factor in ref.conversion_factors:
            if factor.track == wanted and factor.effective_from <= day <= factor.effective_to:
                return InForce(factor, day.year)
    earlier = [f for f in ref.conversion_factors if f.effective_to < day and f.track in (track, "standard")]
    if not earlier:
        raise PtcalcInputError(f"date: no conversion factor for {day.isoformat()} in the reference data")
    latest = max(earlier, key=lambda f: f.effective_to)
    return InForce(latest, latest.effective_to.year,
                   f"no conversion factor for {day.isoformat()}; the one to {latest.effective_to.isoformat()} used")

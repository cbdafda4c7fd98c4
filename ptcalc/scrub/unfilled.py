"""Columns an export has but no line fills: judged as a sheet without them, not as a blank on every line.

A `Minutes` column the clinic never fills (the minutes are in the notes), a `Mod` column left to the billing
system (it adds GP and KX when it makes the claim), an export template's `PTA Minutes`: read as blanks, each
line would be an error (UNT005, MOD001) or a warning (MOD007) that the sheet cannot support, only false
alarms. So too a `Mod` column whose lines carry KX, CQ or 59 and never GP, GO or GN: a system that adds the
discipline modifier when it makes the claim exports the charges without it (WebPT Billing's help, "Add KX
Modifier": the therapy modifiers are generated for Medicare and not seen in the charge data; 59 is), and a
clinic whose claims went out without one would have every line denied.
Over two or more visits an empty column says the export does not carry the value. Where a blank is a value it
stays one: on one visit (a value forgotten, and the rules say so), and on a sheet written to ptcalc's
own contract (its header names the required fields as spec §3 does, `patient_id`, `dos`, `cpt`, `units`: the
shipped workbook's Charges sheet), as on a claim. Not `ytd_prior`: a blank there is no allowed dollars before
the sheet (spec §3), what every patient without therapy elsewhere this year has, so an empty column is $0 for
all of them and KX on their lines is still MOD004.
"""
from __future__ import annotations

from collections.abc import Callable

from ..refdata import Reference
from .columns import REQUIRED
from .layout import SheetLayout
from .lines import ChargeLine

DISCIPLINE_MODIFIERS = "discipline_modifiers"  # not a column: what the modifiers column says of the discipline
# Among the fields judged (columns_judged), the mark of a modifiers column that never says the discipline: a
# mark of its absence, so that a caller judging the columns it has (the Excel macro, a test) judges as ever
WITHOUT_DISCIPLINE_MODIFIERS = "modifiers without the discipline"

# What a line fills a column with, and what the sheet is judged as without it.
_FILLED: dict[str, Callable[[ChargeLine], bool]] = {
    "minutes": lambda line: line.minutes is not None or line.visit_timed_minutes is not None
    or not line.bad.isdisjoint(("minutes", "visit_timed_minutes")),
    "modifiers": lambda line: bool(line.modifiers) or "modifiers" in line.bad,
    "pta_minutes": lambda line: line.pta_minutes is not None or "pta_minutes" in line.bad,
}
_WITHOUT = {DISCIPLINE_MODIFIERS: "a missing GP, GO or GN cannot be told from one the claim has: MOD001 no_data",
            "minutes": "timed units cannot be checked against them: UNT005 no_data",
            "modifiers": "a missing GP, KX, CQ, 59 or 95 cannot be told from one the claim has: no_data",
            "pta_minutes": "CQ/CO judged on the assistants' own lines only: the supervising therapist may render a "
                           "CQ line"}


def _written_to_contract(layout: SheetLayout) -> bool:
    """The header names the required fields with the contract's own names (no export writes `patient_id`)."""
    return all(name in layout.columns and str(layout.headers[layout.columns[name]]).strip().lower() == name
               for name in REQUIRED)


def columns_no_line_fills(lines: list[ChargeLine], layout: SheetLayout, ref: Reference) -> list[str]:
    """The columns of `_FILLED` an export has and no line fills (minutes: nor a visit's total timed minutes;
    DISCIPLINE_MODIFIERS: a modifiers column some line fills, none with GP, GO or GN), over two or more visits
    billed (with timed codes, for minutes)."""
    if _written_to_contract(layout):
        return []
    discipline = frozenset(m.modifier for m in ref.modifiers.values() if m.kind == "discipline")
    filled_by = {**_FILLED, DISCIPLINE_MODIFIERS: lambda line: not discipline.isdisjoint(line.modifiers)
                 or "modifiers" in line.bad}
    unfilled = []
    for name, filled in filled_by.items():
        column = "modifiers" if name == DISCIPLINE_MODIFIERS else name
        if column not in layout.columns or (name == DISCIPLINE_MODIFIERS and "modifiers" in unfilled) \
                or any(map(filled, lines)):
            continue
        visits = {(line.patient_id, line.dos) for line in lines
                  if line.units and (name != "minutes" or line.cpt in ref.timed_codes)}
        if len(visits) > 1:
            unfilled.append(name)
    return unfilled


def columns_judged(layout: SheetLayout, unfilled: list[str]) -> set[str]:
    """The fields the rules may take a blank of as saying none: the sheet's columns less those no line fills,
    and WITHOUT_DISCIPLINE_MODIFIERS where its modifiers never say the discipline."""
    return set(layout.columns) - set(unfilled) | (
        {WITHOUT_DISCIPLINE_MODIFIERS} if DISCIPLINE_MODIFIERS in unfilled else set())


def unfilled_said(name: str, layout: SheetLayout) -> str:
    """How the sheet is read without the column's values, in words."""
    if name == DISCIPLINE_MODIFIERS:
        return (f"{layout.source_of('modifiers')} has no GP, GO or GN on any line: read as a source whose billing "
                f"system adds them to the claim ({_WITHOUT[name]})")
    return f"{layout.source_of(name)} is empty on every line: read as a source without {name} ({_WITHOUT[name]})"

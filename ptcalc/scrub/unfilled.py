"""Columns an export has but no line fills: judged as a sheet without them, not as a blank on every line.

A `Minutes` column the clinic never fills (the minutes are in the notes), a `Mod` column left to the billing
system (it adds GP and KX when it makes the claim), an export template's `PTA Minutes`: read as blanks, each
line would be an error (UNT005, MOD001) or a warning (MOD007) that the sheet cannot support, only false
alarms. So too a `Mod` column whose lines of a payer type carry KX, CQ or 59 and never GP, GO or GN: a system
that adds the discipline modifier when it makes those claims exports the charges without it (WebPT Billing's
help, "Add KX Modifier": the therapy modifiers are generated for Medicare and not seen in the charge data; 59
is), and a clinic whose claims went out without one would have every such line denied. So too a plan of care's
`POC Signed` or `POC Sent` column a system exports and never fills: read as blanks, every Medicare visit past its
plan's 30th day was a POC001 error or warning.
Over two or more visits an empty column says the export does not carry the value. Where a blank is a value it
stays one: on one visit (a value forgotten, and the rules say so), and on a sheet written to ptcalc's
own contract (its header names the required fields as spec §3 does, `patient_id`, `dos`, `cpt`, `units`: the
shipped workbook's Charges sheet), as on a claim. Not `ytd_prior`: a blank there is no allowed dollars before
the sheet (spec §3), what every patient without therapy elsewhere this year has, so an empty column is $0 for
all of them and KX on their lines is still MOD004.
"""
from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter

from ..refdata import Reference
from .columns import CLAIMS_AS_SENT, INSTITUTIONAL, PROFESSIONAL_CLAIM, REQUIRED
from .layout import SheetLayout
from .lines import ChargeLine

# Among the fields judged (columns_judged), a payer type's mark that the sheet's modifiers never say the discipline
# on its lines: a mark of absence, so that a caller judging the columns it has (the Excel macro, a test) judges as ever
_DISCIPLINE_UNSAID = "modifiers without the discipline for "

# What a line fills a column with, and what the sheet is judged as without it.
_FILLED: dict[str, Callable[[ChargeLine], bool]] = {
    "minutes": lambda line: line.minutes is not None or line.visit_timed_minutes is not None
    or not line.bad.isdisjoint(("minutes", "visit_timed_minutes")),
    "modifiers": lambda line: bool(line.modifiers) or "modifiers" in line.bad,
    "pta_minutes": lambda line: line.pta_minutes is not None or "pta_minutes" in line.bad,
    "poc_certified": lambda line: line.poc_certified is not None or "poc_certified" in line.bad,
    "poc_sent": lambda line: line.poc_sent is not None or "poc_sent" in line.bad,
}
_WITHOUT = {"minutes": "timed units cannot be checked against them: UNT005 no_data",
            "modifiers": "a missing GP, KX, CQ, 59 or 95 cannot be told from one the claim has: no_data",
            "pta_minutes": "CQ/CO judged on the assistants' own lines only: the supervising therapist may render a "
                           "CQ line",
            "poc_certified": "a plan's certification cannot be checked: POC001 not judged",
            "poc_sent": "a plan sent to the referring physician/NPP within 30 days, which certifies it from 2025, "
                        "cannot be told: POC001 a warning"}


def _written_to_contract(layout: SheetLayout) -> bool:
    """The header names the required fields with the contract's own names (no export writes `patient_id`)."""
    return all(name in layout.columns and str(layout.headers[layout.columns[name]]).strip().lower() == name
               for name in REQUIRED)


def columns_no_line_fills(lines: list[ChargeLine], layout: SheetLayout, timed_codes: frozenset[str]) -> list[str]:
    """The columns of `_FILLED` an export has and no line fills (minutes: nor a visit's total timed minutes),
    over two or more visits billed (with timed codes, for minutes)."""
    if _written_to_contract(layout):
        return []
    unfilled = []
    for name, filled_by in _FILLED.items():
        if name not in layout.columns or any(map(filled_by, lines)):
            continue
        visits = {(line.patient_id, line.dos) for line in lines
                  if line.units and (name != "minutes" or line.cpt in timed_codes)}
        if len(visits) > 1:
            unfilled.append(name)
    return unfilled


def discipline_unsaid_for(lines: list[ChargeLine], layout: SheetLayout, ref: Reference,
                          unfilled: list[str]) -> list[str]:
    """The payer types whose lines' modifiers (a column some line fills) never carry GP, GO or GN over two or more
    of their visits billed, or every payer type billed where no line of the sheet's two or more visits does: a
    billing system adds them to those payers' claims (WebPT Billing's for Medicare, while its EMR's settings may
    put them on other payers' lines)."""
    if _written_to_contract(layout) or "modifiers" not in layout.columns or "modifiers" in unfilled:
        return []
    discipline = frozenset(m.modifier for m in ref.modifiers.values() if m.kind == "discipline")
    kinds = set(map(attrgetter("payer_type"), lines)) - {None}
    unsaid, said = set(kinds), False
    for line in lines:  # most sheets: every payer type's first lines carry one, and this ends there
        if not discipline.isdisjoint(line.modifiers) or "modifiers" in line.bad:
            said = True
            unsaid.discard(line.payer_type)
            if not unsaid:
                return []
    visits: dict[str, set[tuple]] = {}
    for line in lines:
        if line.units and line.payer_type is not None:
            visits.setdefault(line.payer_type, set()).add((line.patient_id, line.dos))
    if not said:  # no line of the sheet says the discipline
        return sorted(visits) if len(set().union(*visits.values())) > 1 else []
    return sorted(kind for kind in unsaid if len(visits.get(kind, ())) > 1)


def discipline_unsaid(columns: set[str], payer_type: str | None) -> bool:
    """The sheet's modifiers never say the discipline on this payer type's lines (discipline_unsaid_for)."""
    return f"{_DISCIPLINE_UNSAID}{payer_type}" in columns


def columns_judged(layout: SheetLayout, unfilled: list[str], discipline_unsaid_types: list[str],
                   claims_as_sent: bool = False) -> set[str]:
    """The fields the rules may take a blank of as saying none: the sheet's columns less those no line fills,
    with the marks of the payer types whose lines' modifiers never say the discipline, of revenue codes, of claims
    as sent (an 837) and of an 837P's professional claims."""
    marks = {f"{_DISCIPLINE_UNSAID}{kind}" for kind in discipline_unsaid_types}
    if claims_as_sent:
        marks.add(CLAIMS_AS_SENT)
    if "revenue_code" in layout.extra:
        marks.add(INSTITUTIONAL)
    elif claims_as_sent:
        marks.add(PROFESSIONAL_CLAIM)
    return set(layout.columns) - set(unfilled) | marks


def read_as(name: str) -> str:
    """How the sheet is read without the column's values, in words."""
    return f"read as a source without {name} ({_WITHOUT[name]})"


def discipline_unsaid_said(layout: SheetLayout, payer_types: list[str], billed_types: set[str]) -> str:
    """How the sheet is read where its modifiers never say the discipline, in words."""
    where = "any line" if set(payer_types) >= billed_types else \
        f"any {' or '.join(kind.replace('_', ' ') for kind in payer_types)} line"
    return (f"{layout.source_of('modifiers')} has no GP, GO or GN on {where}: read as a source whose billing system "
            "adds them to the claim (a missing one cannot be told from one the claim has: MOD001 no_data)")

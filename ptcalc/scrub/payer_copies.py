"""A charge listed once per payer: a claims export lists a service on the primary payer's claim and again on the
secondary's (a supplement, a crossover), the same patient, date, code, modifiers, units and minutes. Judged as two
lines, the second was billed twice (DAT003 duplicate, UNT006 code billed twice in the visit) and doubled the visit's
units and the patient's KX total. The later listing is judged once, as the first listed (the export's order of a
claim's payers), and kept in place as no line of this scrub, naming the row judged."""
from __future__ import annotations

from .lines import ChargeLine


def payer_copy_of(line: ChargeLine, earlier: list[ChargeLine]) -> str | None:
    """Why `line` is a copy of one of the `earlier` lines of its visit for another payer (None: it is not): the same
    code, modifiers, units and minutes, another payer, and not on the same claim (the same claim number twice is a
    duplicate, for DAT003)."""
    if line.units is None:
        return None
    modifiers = sorted(line.modifiers)
    for other in earlier:
        if other.cpt == line.cpt and other.units == line.units and other.minutes == line.minutes and \
                sorted(other.modifiers) == modifiers and _payer(other) != _payer(line) and \
                not (other.claim_id and other.claim_id == line.claim_id):
            return (f"the charge of row {other.row} listed again, for {_named(line)} (row {other.row}: "
                    f"{_named(other)}); judged once, on row {other.row}")
    return None


def _payer(line: ChargeLine) -> tuple[str | None, str]:
    return line.payer_type, line.payer.casefold()


def _named(line: ChargeLine) -> str:
    return line.payer or (line.payer_type or "no payer").replace("_", " ")

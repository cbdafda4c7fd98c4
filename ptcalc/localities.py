"""A Medicare payment locality as people write it, to the MAC-LL key of CMS's GPCI files.

`13202-01` as the GPCI file writes it; `13202-01 Manhattan` as a list shows the key with its name;
`1320201` as a spreadsheet of the file's two columns (MAC, locality) glues them; `Manhattan` or
`Rest of New York`, the locality's own name, when one locality has it, or with its state (`Manhattan, NY`).
"""
from __future__ import annotations

import re
from datetime import date
from typing import Any

from .errors import PtcalcInputError
from .refdata import Reference
from .refdata.model import fold_name
from .values import describe, is_blank, parse_date, parse_modifiers

_KEY = re.compile(r"^(\d{5})[-\s/]?(\d{2})\b")
_SPACES = re.compile(r"\s+")


def _folded(name: str) -> str:
    return _SPACES.sub(" ", name.strip().upper())


def _known(ref: Reference) -> tuple[frozenset[str], dict[str, frozenset[str]]]:
    """Every year's keys, and the keys by folded name (cached with the reference data)."""
    cached = ref.caches.get("locality_names")
    if cached is None:
        keys = frozenset(key for table in ref.gpcis.values() for key in table.rows)
        names: dict[str, set[str]] = {}
        for table in ref.gpcis.values():
            for key, gpci in table.rows.items():
                names.setdefault(_folded(gpci.name), set()).add(key)
        cached = ref.caches["locality_names"] = (keys, {name: frozenset(k) for name, k in names.items()})
    return cached


def locality_key(ref: Reference, value: Any) -> str:
    """'national' or the MAC-LL key of a locality in some year's GPCI file."""
    if is_blank(value) or str(value).strip().lower() == "national":
        return "national"
    text = str(value).strip()
    if ref.site_localities and (site := ref.site_localities.get(fold_name(text))):
        return site  # a clinic's own name for one of its sites (its ptcalc.yaml's locations)
    keys, names = _known(ref)
    if (found := _KEY.match(text)) and (key := f"{found.group(1)}-{found.group(2)}") in keys:
        return key
    named = names.get(_folded(text)) or _named_in_state(ref, text)
    if named and len(named) == 1:
        return next(iter(named))
    if named:
        raise PtcalcInputError(f"locality: {describe(value)} names {len(named)} localities "
                               f"({', '.join(sorted(named))}); use the MAC-LL")
    instead = _what_it_is(ref, value)
    near = _names_holding(ref, text) if instead is None else []
    hint = f"; did you mean {' or '.join(near)}?" if near else \
        "; the clinic's ptcalc.yaml names its locations but not this one" if ref.site_localities else ""
    raise PtcalcInputError(f"locality: {describe(value)} is {f'{instead}, not' if instead else 'not'} a Medicare "
                           "locality (use 'national', MAC-LL as in the CMS GPCI file, e.g. '13202-01', or the "
                           f"locality's name, e.g. 'Manhattan'){hint}")


_IN_STATE = re.compile(r"^(?P<name>.+?)[\s,]+(?P<state>[A-Z]{2})$")


def _named_in_state(ref: Reference, text: str) -> frozenset[str]:
    """`Manhattan, NY`, `Miami FL`: a locality's own name and its state, as addresses are written."""
    found = _IN_STATE.match(_folded(text))
    if found is None:
        return frozenset()
    _, names = _known(ref)
    return frozenset(key for key in names.get(found.group("name"), ()) if
                     any(key in table.rows and table.rows[key].state == found.group("state")
                         for table in ref.gpcis.values()))


_WORD = re.compile(r"[A-Z0-9]+")
_MAX_SUGGESTED = 4


def _names_holding(ref: Reference, text: str) -> list[str]:
    """The localities whose name holds every word of `text` ('Los Angeles': LOS ANGELES-LONG BEACH-ANAHEIM (LOS
    ANGELES/ORANGE CNTY)), as `'MAC-LL' (NAME)`, when a few do. Only suggested, never taken: 'California' is
    in REST OF CALIFORNIA, which is not the clinic's locality if it is in Los Angeles."""
    words = set(_WORD.findall(_folded(text)))
    if not words:
        return []
    _, names = _known(ref)
    found = sorted((key, name) for name, keys in names.items() if words <= set(_WORD.findall(name)) for key in keys)
    if len(found) > _MAX_SUGGESTED:
        return []
    return [f"'{key}' ({name})" for key, name in found]


def _what_it_is(ref: Reference, value: Any) -> str | None:
    """What a value given as a locality is instead, when it is plainly something else: a date or modifiers
    given in the locality's place (PT_FEE's third argument)."""
    if isinstance(value, date) or (isinstance(value, str) and not value.strip().isdigit() and _is_date(value)):
        return "a date"
    if isinstance(value, str) and (modifiers := parse_modifiers(value)) and set(modifiers) <= set(ref.modifiers):
        return "modifiers"
    return None


def _is_date(text: str) -> bool:
    try:
        parse_date(text)
    except PtcalcInputError:
        return False
    return True

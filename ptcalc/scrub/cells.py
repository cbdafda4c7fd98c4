"""One cell of an export, read as a person reads it: blank or filled, a code inside text."""
from __future__ import annotations

import re
from typing import Any

from ..errors import PtcalcInputError
from ..values import CODE_AT_END, CODE_IN_TEXT, codes_listed, parse_date

_WORDS = re.compile(r"[^\s,;:()\[\]/\-\u2013\u2014]+")  # after a space: `GP 59`, `- GP`, `– GP, 59`
_GLUED_MODIFIERS = re.compile(r"^(?:[\s-]*([A-Z0-9]{2}))+\s*$", re.I)
_HYPHENED_MODIFIERS = re.compile(r"^-[A-Z0-9]{2}(?:-?[A-Z0-9]{2})*$", re.I)
# Text that says a row is not a claim line: totals, page footers, report stamps.
NOT_A_LINE = re.compile(r"\b(?:grand\s+total|sub-?\s*total|totals?)\b|^\s*page\s+\d+(?:\s+of\s+\d+)?\s*$|"
                        r"^\s*(?:report\s+(?:run|generated|printed|date)|end\s+of\s+report|printed\s+(?:on|by)|"
                        r"count\s*:)", re.I)


def filled(value: object) -> bool:
    """Not empty: None and all-space text are empty cells."""
    return value is not None and (not isinstance(value, str) or value.strip() != "")


def plain(value: Any) -> Any:
    """97110.0 as 97110: a number a reader gave as a float where the sheet shows a whole number."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def code_of(value: Any, modifiers: frozenset[str] = frozenset()) -> tuple[Any, str]:
    """(the code, modifiers glued to it) from `97110 - Ther Ex`, `CPT 97110`, `97110GP`; else the cell.
    After a space, `97110 GP 59` or `97110 (GP)`: modifiers when every word is one of `modifiers`.
    A cell listing several codes stays whole (the line says it holds several)."""
    if not isinstance(value, str) or codes_listed(value):
        return value, ""
    match = CODE_IN_TEXT.match(value)
    if not match:
        at_end = CODE_AT_END.match(value)
        return (at_end.group(1).upper(), "") if at_end else (value, "")
    code, rest = match.group(1).upper(), match.group(2)
    glued = None  # `97110GP`, `97110GP 59`, `97110-GP`; not `97110 - TE`, `97110-Ther Ex`, `97110: Ther Ex`
    if rest[:1] == "-":
        glued = _HYPHENED_MODIFIERS.match(rest)
    elif rest and not rest[:1].isspace() and rest[:1] not in ":;/,":  # `97110;GP`, `97110/GP`: the words decide
        glued = _GLUED_MODIFIERS.match(rest)
    elif modifiers and (words := _WORDS.findall(rest.upper())) and modifiers.issuperset(words):
        return code, " ".join(words)
    return code, " ".join(re.findall(r"[A-Z0-9]{2}", rest.upper())) if glued else ""


def has_code(value: Any) -> bool:
    """A code cell, or text with a code in it (the line is a claim line, whatever else its row says)."""
    if not filled(value):
        return False
    text = str(plain(value))
    if CODE_IN_TEXT.match(text):
        return True
    return bool(CODE_AT_END.match(text)) and not NOT_A_LINE.search(text)  # `Subtotal for 97110` is no line


_RULE = re.compile(r"([-=_*~])\1+")  # `-----`, `=====`: a printed report's line under its header or between groups


def is_rule(text: str) -> bool:
    """Text of rules alone (`-----  ------  ---`): no value, a line drawn."""
    parts = text.split()
    return bool(parts) and all(_RULE.fullmatch(part) for part in parts)


_AMOUNT = re.compile(r"^\s*\(?-?\$?\s*\d[\d,]*(?:\.\d+)?-?\)?\s*$")  # `-5`, `(5.00)`, `5.00-` (trailing minus)


def is_amount(value: object) -> bool:
    """A number, or text that is one (`5`, `$1,332.00`, `(12.50)`, `12.50-` as some report writers print a
    negative)."""
    if isinstance(value, bool):
        return False
    return isinstance(value, (int, float)) or (isinstance(value, str) and bool(_AMOUNT.match(value)))


def amount_of(value: object) -> float | None:
    """The number an amount cell holds (`$1,165.00`; `(55.00)`, `-55` and `55.00-` are -55), else None."""
    if not is_amount(value):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).replace("$", "").replace(",", "").replace(" ", "")
    negative = text.startswith(("(", "-")) or text.endswith("-")
    return -float(text.strip("()-")) if negative else float(text)


def is_date(value: object) -> bool:
    """A cell that reads as a date of service."""
    try:
        parse_date(value, "dos")
    except PtcalcInputError:
        return False
    return True

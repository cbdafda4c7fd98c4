"""Turning cell values (from Excel, CSV or Python) into the plain values the engine uses.

Every function raises PtcalcInputError with a message that names the field and the value,
so the Excel layer, the scrub and the CLI all report bad input the same way.
"""
from __future__ import annotations

import math
import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from .errors import PtcalcInputError

EXCEL_EPOCH = date(1899, 12, 30)
# Excel serial numbers from 2000-01-01 to 2099-12-31: a date cell formatted as a number.
EXCEL_SERIAL_RANGE = (36526, 73050)
YEAR_RANGE = (1900, 2100)

_CODE_FLOAT = re.compile(r"^(\d{5})\.0*$")
CODE = r"(\d{5}|[A-Z]\d{4}|\d{4}[A-Z])"
# `97110 - Ther Ex`, `CPT® 97110`, `'97110` (a csv's text mark), `97110GP`, `(97110) Ther Ex`; then `Ther Ex (97110)`,
# `THER EX - 97110`.
CODE_IN_TEXT = re.compile(r"^\s*['\"]?\s*(?:cpt|hcpcs|code)?[®™\s:#-]*(?:[(\[]\s*)?" + CODE
                          + r"(?![0-9])(?:\s*[)\]])?(.*)$", re.I)
CODE_AT_END = re.compile(r"^.*?\S[\s(\[:#-]+(?:cpt|hcpcs)?[®™\s:#]*" + CODE + r"[)\]]?\s*$", re.I)
_WORD = re.compile(r"[A-Za-z0-9]+")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?$")  # thousands grouped: `1,234.50`, `12,000`
_QUANTITY = re.compile(r"^\s*(?:[x*]\s*\d{1,2}|\(\s*[x*]?\s*\d{1,2}\s*\))\s*$", re.I)  # `97110 x2`, `97110 (2)`
# Between modifiers: spaces, punctuation, and the quotes and brackets of a list written out (`["GP", "KX"]`)
_MODIFIER_SPLIT = re.compile(r"[\s,;/|+\-.:()\[\]{}\"'`&*_]+|\bAND\b")
_LIST_SEPARATORS = re.compile(r"[,;|]")  # between a list's items (`GP - Physical Therapy, KX`), each described apart
_VOWELS = frozenset("AEIOU")
_GLUED_PAIRS = re.compile(r"^(?:[A-Z0-9]{2}){2,}$")  # GPKX, GP59: modifiers are two characters each
_NO_MODIFIER = frozenset({"NONE", "N/A", "NULL"})
# A discipline or credential beside the modifiers naming it (`GP (PT)`, `GN - SLP`): a description's words
_DISCIPLINE_WORDS = frozenset({"PT", "PTA", "DPT", "OT", "OTA", "OTR", "SLP", "SLPA"})
DATE_YEARS = (1900, 2100)
# A time after a date is ignored, with its zone (`2026-03-02T00:00:00Z`, `…T09:30:00-05:00`, as systems export a
# timestamp): the date is the one written, never converted (a date-only field exported at UTC midnight is that day).
_TIME = r"(?:[ T]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*[AP]\.?M?\.?)?(?:\s*(?:Z|UTC|[+-]\d{2}:?\d{2}))?)?"
_US_DATE = re.compile(r"^(\d{1,2})[/-](\d{1,2})[/-](\d{4}|\d{2})" + _TIME + "$", re.I)
_ISO_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})" + _TIME + "$", re.I)  # 2026-03-02, 2026/03/02
# Month names, as Excel's d-mmm-yy and many reports write dates: 2-Mar-26, 02 March 2026, Mar 2, 2026, March 2nd, 2026,
# and SAS's and mainframe reports' 02MAR2026.
_ORDINAL = r"(?:st|nd|rd|th)?"
_DAY_MONTH_NAME = re.compile(r"^(\d{1,2})" + _ORDINAL + r"[-\s]?([a-z]{3,9})\.?(?:[-\s,]\s*|(?=\d{4}\b))(\d{4}|\d{2})"
                             + _TIME + "$", re.I)
_MONTH_NAME_DAY = re.compile(r"^([a-z]{3,9})\.?(?:\s+|-)(\d{1,2})" + _ORDINAL + r",?(?:\s+|-)(\d{4}|\d{2})" + _TIME + "$",
                             re.I)
_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAY_NAME = r"\(?(mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun|monday|tuesday|wednesday|thursday|friday|saturday|sunday)\.?\)?"
# `Mon 03/02/2026`, `Monday, 03/02/2026`, `03/02/2026 (Mon)`: an appointment list's date with its weekday.
_WITH_DAY_NAME = re.compile(r"^" + _DAY_NAME + r",?\s+(.+)$|^(.+?)\s+" + _DAY_NAME + r"$", re.I)
_CLOCK = re.compile(r"^\d{1,2}:\d{2}(?::\d{2})?\s*(?:[ap]\.?m\.?)?$", re.I)
# `03/02/2026 - 03/02/2026`, `03/02/2026-03/02/2026`, `3/2/26 to 3/2/26`: a service's from and to dates.
_DATE_SPAN = re.compile(r"^(.+?)\s+(?:-|–|to|thru|through)\s+(.+)$|^(\d{1,2}/\d{1,2}/\d{2,4})-(\d{1,2}/\d{1,2}/\d{2,4})$",
                        re.I)
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")


def is_blank(value: Any) -> bool:
    """An empty cell: None, an empty or all-space string, or NaN."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, float) and math.isnan(value)


def describe(value: Any) -> str:
    """A short rendering of a value for messages: text quoted, numbers without '.0'."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return repr(value if len(value) <= 60 else value[:57] + "...")
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."


_ANY_CODE = re.compile(r"(?<![A-Z0-9])" + CODE + r"(?![A-Z0-9])", re.I)
# Between the codes of a list: separators, quantities (`x2`, `(2)`, `*2`), two-character modifiers; no words.
_LIST_FILLER = re.compile(r"^(?:[\s,;/&+()*x-]|and\b|\d{1,2}\b|[A-Z0-9]{2}\b)*$", re.I)


def codes_listed(value: Any) -> list[str]:
    """The codes of a cell that lists several (`97110, 97140`, `97110 x2 / 97140`): several claim lines in one
    row, or one visit's codes in one argument. Not a description that names another code (`G0283 E-stim (97014
    for commercial)`)."""
    if not isinstance(value, str):
        return []
    codes = [code.upper() for code in _ANY_CODE.findall(value)]
    if len(set(codes)) < 2 or not _LIST_FILLER.match(_ANY_CODE.sub(" ", value)):
        return []
    return list(dict.fromkeys(codes))


def normalise_code(value: Any, field: str = "code", modifiers_after: bool = False) -> str:
    """A CPT/HCPCS code as text: 97110.0 -> '97110', ' g0283 ' -> 'G0283'. `modifiers_after`: a code written with
    its modifiers (`97110 GP`, `97110-59`) is the code, where they change nothing (a count of units)."""
    if value.__class__ is str and len(value) == 5 and value.isalnum() and value.upper() == value:
        return value  # already a plain code (most cells, and every PT_FEE call's): nothing below would change it
    if isinstance(value, bool) or is_blank(value):
        raise PtcalcInputError(f"{field}: {describe(value)} is not a procedure code")
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not value.is_integer():
            raise PtcalcInputError(f"{field}: {describe(value)} is not a procedure code")
        text = str(int(value))
    else:
        text = str(value).strip().upper()
        match = _CODE_FLOAT.match(text)
        if match:
            text = match.group(1)
        elif not (len(text) == 5 and text.isalnum()):  # not a plain code: perhaps a code with its description
            if listed := codes_listed(text):  # not the first code with the others as its description
                raise PtcalcInputError(f"{field}: {describe(value)} holds {len(listed)} codes ({', '.join(listed)}); "
                                       "give each code its own cell")
            text = _code_with_description(text, value, field, modifiers_after)
    if not text:
        raise PtcalcInputError(f"{field}: {describe(value)} is not a procedure code")
    return text


def _code_with_description(text: str, value: Any, field: str, modifiers_after: bool = False) -> str:
    """The code of `97110 - Ther Ex` or `Ther Ex (97110)`, as a charge sheet's code column writes it.
    Modifiers after the code (`97110 CQ`, `97110GP`) are refused unless `modifiers_after`: they change the
    price and belong in their own argument or column."""
    if found := CODE_IN_TEXT.match(text):
        words = _WORD.findall(found.group(2))
        if _QUANTITY.match(found.group(2)):
            raise PtcalcInputError(f"{field}: {describe(value)} has a quantity after the code; give it as the units")
        if words and all(len(word) == 2 for word in words):
            if modifiers_after:
                return found.group(1).upper()
            raise PtcalcInputError(f"{field}: {describe(value)} has modifiers after the code; give them as modifiers")
        if not words or any(len(word) > 2 for word in words):
            return found.group(1).upper()
    elif found := CODE_AT_END.match(text):
        return found.group(1).upper()
    return text


def parse_number(value: Any, field: str) -> float:
    """A finite number from a number or numeric text; blank is not handled here."""
    if isinstance(value, bool):
        raise PtcalcInputError(f"{field}: {value} is not a number")
    if isinstance(value, (int, float, Decimal)):
        number = float(value)
    elif isinstance(value, str):
        text = value.strip()
        if "," in text and not _GROUPED.match(text):  # `2,1`: two values, or a decimal comma; not 21
            raise PtcalcInputError(f"{field}: {describe(value)} is not a number")
        try:
            number = float(text.replace(",", ""))
        except ValueError:
            raise PtcalcInputError(f"{field}: {describe(value)} is not a number") from None
    else:
        raise PtcalcInputError(f"{field}: {describe(value)} is not a number")
    if not math.isfinite(number):
        raise PtcalcInputError(f"{field}: {describe(value)} is not a number")
    return number


def money_number(value: Any) -> Any:
    """Dollars as a cell shows them: `$2,300.00`, `$ 2300`, `2300 USD` (a number as it is)."""
    if isinstance(value, str):
        return value.strip().removeprefix("$").removesuffix("USD").removesuffix("usd").strip()
    return value


def parse_amount(value: Any, field: str) -> float:
    """A quantity that cannot be negative (minutes, dollars): blank is 0, text or a negative is an error."""
    if is_blank(value):
        return 0.0
    amount = parse_number(value, field)
    if amount < 0:
        raise PtcalcInputError(f"{field}: {describe(value)} is negative")
    return amount


def parse_minutes(value: Any, field: str = "minutes") -> float:
    """Minutes of a service: blank is 0, negative or non-numeric is an error."""
    return parse_amount(value if is_blank(value) else minutes_number(value), field)


_MINUTES_TEXT = re.compile(r"^(\d+(?:\.\d+)?)\s*(?:m|min|mins|minute|minutes)\.?$", re.I)
_DURATION_TEXT = re.compile(r"^(0?\d):([0-5]\d)(?::([0-5]\d))?$")  # 0:15, 01:05, 0:15:00 (h:mm[:ss], under 10 h)
# Hours and minutes in words: `1h 5m`, `0h38m`, `1 hr 5 min` (hours alone, `15 hours`, are refused: a line's
# minutes are not written so, and a visit's total may be)
_HOURS_TEXT = re.compile(r"^(\d+)\s*(?:h|hr|hrs|hour|hours)\.?\s*([0-5]?\d)\s*(?:m|min|mins|minute|minutes)\.?$", re.I)


# Numbers a sheet computes carry a binary fraction's error: minutes from clock times (`=(End-Start)*1440`) make
# 08:00 to 08:08 7.999999999999972, which Excel shows as 8 (the 8-minute rule's first unit); units from minutes
# (`=Minutes/15`) can make 2 1.9999999999999998. Read to a millionth (a second is 0.0167 minutes), minutes and
# units are the numbers the sheet shows.
SHOWN_DECIMALS = 6


# The day a time cell's date part is (serial 0: a time of day or a duration under 24 h) as Excel hands it over: classic
# xlwings (COM) gives 0:38 as 1899-12-30 00:38, in the 1900 and the 1904 date systems.
EXCEL_DAY_ZERO = frozenset({date(1899, 12, 30), date(1899, 12, 31), date(1904, 1, 1)})


def time_cell_shown(minutes: float) -> str | None:
    """The time a time cell shows when its fraction of a day was read as minutes (0.0263888: '0:38'), for minutes
    under one (not 0): no part of a minute is billed, and xlwings Lite hands a time cell over so. None otherwise."""
    if not 0 < minutes < 1:
        return None
    whole = round(minutes * 1440)
    return f"{whole // 60}:{whole % 60:02d}"


def minutes_number(value: Any) -> Any:
    """Minutes as exports write them: `15 min`, a duration `0:15` (h:mm), an Excel time or duration cell (a time,
    a timedelta, or a date-time on Excel's day zero), a number (to SHOWN_DECIMALS); anything else is returned for
    parse_number to read or refuse. `15:00` is refused: h:mm or mm:ss?"""
    if isinstance(value, float):
        return round(value, SHOWN_DECIMALS)
    if isinstance(value, timedelta):
        return round(value.total_seconds() / 60, SHOWN_DECIMALS)
    if isinstance(value, time):
        return round(value.hour * 60 + value.minute + value.second / 60 + value.microsecond / 60e6, SHOWN_DECIMALS)
    if isinstance(value, datetime) and value.date() in EXCEL_DAY_ZERO:
        return minutes_number(value.time())
    if isinstance(value, str):
        text = value.strip()
        if match := _MINUTES_TEXT.match(text):
            return float(match.group(1))
        if match := _DURATION_TEXT.match(text):
            hours, minutes, seconds = match.group(1, 2, 3)
            return int(hours) * 60 + int(minutes) + int(seconds or 0) / 60
        if match := _HOURS_TEXT.match(text):
            return int(match.group(1)) * 60 + int(match.group(2))
    return value


# `2 units`, `2u`, and `1.00 UN` as claim exports print a service line's units with their X12 qualifier (SV103).
_UNITS_TEXT = re.compile(r"^(\d+(?:\.\d+)?)\s*(?:u|un|units?|units?\(s\)|unit\(s\))\.?$", re.I)


_MINUTES_AS_UNITS = re.compile(r"^(\d+(?:\.\d+)?)\s*(?:MJ|m|min|mins|minutes?)\.?$", re.I)  # an 837's SV103 MJ


def units_number(value: Any) -> Any:
    """Units as some exports write them (`2 units`, `2u`, `1.00 UN`); anything else is returned for parse_number.
    Minutes where units belong (`38 min`, an 837's quantity in minutes `38 MJ`) are refused saying so: read as
    38 units they were an absurd count, and `2 MJ` passed as 2 units (a payer rejects MJ but for anesthesia)."""
    if isinstance(value, str) and (match := _UNITS_TEXT.match(value.strip())):
        return float(match.group(1))
    if isinstance(value, str) and (match := _MINUTES_AS_UNITS.match(value.strip())):
        raise PtcalcInputError(f"units: {describe(value)} is {describe(float(match.group(1)))} minutes, not units: a "
                               "claim bills a therapy code in units (UN), the 8-minute rule's count of its minutes "
                               "(minutes, MJ, are for anesthesia alone)")
    if isinstance(value, float):
        return round(value, SHOWN_DECIMALS)
    return value


def parse_count(value: Any, field: str, minimum: int = 0) -> int:
    """A whole count (units, comorbidities): 2.0 is fine, 2.5 is not, and a number a sheet computed is the one it
    shows (SHOWN_DECIMALS)."""
    if value.__class__ is float and value.is_integer() and value >= minimum:
        return int(value)  # a whole number of units, as a cell passes it (most calls): nothing below would refuse it
    if is_blank(value):
        raise PtcalcInputError(f"{field}: is empty")
    number = round(parse_number(value, field), SHOWN_DECIMALS)  # 1.9999999999999998 computed in a sheet is 2
    if not number.is_integer():
        raise PtcalcInputError(f"{field}: {describe(value)} is not a whole number")
    if number < minimum:
        raise PtcalcInputError(f"{field}: {describe(value)} is below {minimum}")
    return int(number)


def parse_date(value: Any, field: str = "date", day_first: bool = False) -> date:
    """A date from a datetime, date, ISO or US text, or an Excel serial number, in the years ptcalc
    can judge (1900-2100: `9999-12-31` is a placeholder, not a date of service). `day_first`: text
    written `dd/mm/yyyy` (a sheet whose dates say so: `text_date_order`)."""
    found = _parse_date(value, field, day_first)
    if not DATE_YEARS[0] <= found.year <= DATE_YEARS[1]:
        raise PtcalcInputError(f"{field}: {describe(value)} is not a date ptcalc can judge (years "
                               f"{DATE_YEARS[0]}-{DATE_YEARS[1]})")
    return found


def _parse_date(value: Any, field: str, day_first: bool = False) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        low, high = EXCEL_SERIAL_RANGE
        if float(value).is_integer() and low <= value <= high:
            return EXCEL_EPOCH + timedelta(days=int(value))
        if float(value).is_integer() and 10_000_000 <= value <= 99_999_999:  # 20260302: X12's and databases' form
            found = _ymd(int(value) // 10_000, int(value) // 100 % 100, int(value) % 100)
            if found is not None:
                return found
        raise PtcalcInputError(f"{field}: {describe(value)} is not a date")
    if isinstance(value, str):
        text = value.strip()
        found = _date_in_text(text, day_first)
        if found is not None:
            return found
        if text.isascii() and text.isdigit() and len(text) < 9:
            return _parse_date(int(text), field)
        if (span := _DATE_SPAN.match(text)) and all(_date_in_text(part, day_first) for part in span.groups() if part):
            raise PtcalcInputError(f"{field}: {describe(value)} spans several days; a line is one date of service")
    if text_date_order(value) == "day_first":  # a sheet that writes day first says so in all its dates: not this one
        day, month, year = _US_DATE.match(value.strip()).group(1, 2, 3)
        raise PtcalcInputError(f"{field}: {describe(value)} is written day first ({day} is no month); write it month "
                               f"first, {month}/{day}/{year}")
    raise PtcalcInputError(f"{field}: {describe(value)} is not a date (use 2026-03-05 or 03/05/2026)")


def _date_in_text(text: str, day_first: bool = False) -> date | None:
    """2026-03-02, 03/02/2026, 3/2/26, 2-Mar-26, Mar 2, 2026 (a time after it ignored; a weekday before or
    after it checked: `Tue 03/02/2026` is no date, 2 March 2026 is a Monday); None if none of them."""
    if named := _WITH_DAY_NAME.match(text):
        day_name, rest = (named.group(1), named.group(2)) if named.group(1) else (named.group(4), named.group(3))
        found = _date_in_text(rest, day_first)
        if found is None or not _DAY_NAMES[found.weekday()].startswith(day_name.lower()[:3]):
            return None
        return found
    if span := _DATE_SPAN.match(text):  # one day as a span, or a day and its hours (`03/02/2026 08:00 - 08:30`)
        first, last = (part for part in span.groups() if part is not None)
        start = _date_in_text(first, day_first)
        return start if start is not None and (_date_in_text(last, day_first) == start or _CLOCK.match(last)) else None
    if match := _ISO_DATE.match(text):
        year, month, day = match.group(1, 2, 3)
    elif match := _US_DATE.match(text):
        month, day, year = match.group(1, 2, 3)
        if day_first:
            month, day = day, month
    elif match := _DAY_MONTH_NAME.match(text):
        day, month, year = match.group(1, 2, 3)
    elif match := _MONTH_NAME_DAY.match(text):
        month, day, year = match.group(1, 2, 3)
    else:
        return None
    number = int(month) if month.isdigit() else _month_number(month)
    if number is None:
        return None
    year_number = int(year) + (2000 if len(year) == 2 else 0)  # 3/2/26: a date of service is this century's
    return _ymd(year_number, number, int(day))


def text_date_order(value: Any) -> str | None:
    """"day_first" for text only a day-first reading makes a date of (`15/03/2026`), "month_first" for text
    only a month-first one does (`03/15/2026`), None for anything else (`03/02/2026` reads both ways)."""
    if value.__class__ is not str or not (match := _US_DATE.match(value.strip())):
        return None
    first, second = int(match.group(1)), int(match.group(2))
    if first > 12 and 1 <= second <= 12:
        return "day_first"
    if second > 12 and 1 <= first <= 12:
        return "month_first"
    return None


def _month_number(name: str) -> int | None:
    """1-12 for a month's name or its abbreviation (`Mar`, `Sept`, `March`)."""
    name = name.lower()
    return next((i + 1 for i, month in enumerate(_MONTHS) if month.startswith(name)), None)


def _ymd(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_date_or_year(value: Any, field: str = "date") -> date:
    """A date of service, or a bare year (2026 or 2026.0), which means 1 January of it."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if float(value).is_integer() and YEAR_RANGE[0] <= value <= YEAR_RANGE[1]:
            return date(int(value), 1, 1)
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit() and len(value.strip()) == 4:
        return parse_date_or_year(int(value.strip()), field)
    return parse_date(value, field)


MODIFIER_SLOTS = 4  # a claim line's modifier positions: 837P SV101-3 to SV101-6, CMS-1500 item 24D


def parse_modifiers(value: Any, known: frozenset[str] = frozenset()) -> tuple[str, ...]:
    """Modifiers from 'GP 59', 'GP,59', 'gp-59', 'GP59' (glued: two characters each), '[GP][59]' or a list
    of them; order kept, blanks dropped; 'None' and 'N/A' are no modifier. With the `known` modifiers, a
    word of four or more letters with a vowel that is not all known pairs is a description's word
    (`GP - Physical Therapy` is GP; `GOCO` is GO and CO; `GPZZ` is still GP and ZZ), and so is every word after it
    up to the next known modifier or the item's end (`KX - Requirements specified in the medical policy have been
    met` is KX; `GP - Physical Therapy, KZ` is GP and KZ), and a
    discipline beside a known modifier (`GN - SLP` is GN)."""
    if is_blank(value):
        return ()
    if isinstance(value, (list, tuple)):
        return tuple(m for item in value for m in parse_modifiers(item, known))
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip().upper()
    if text in _NO_MODIFIER:
        return ()
    found: list[str] = []
    for item in _LIST_SEPARATORS.split(text):
        describing = False  # within an item's description: its short words (`in`, `met`, `non-`) are no modifiers
        for part in _MODIFIER_SPLIT.split(item):
            pairs = [part[i:i + 2] for i in range(0, len(part), 2)] if _GLUED_PAIRS.match(part) else None
            if known and len(part) >= 4 and part.isalpha() and not (pairs and known.issuperset(pairs)) \
                    and not _VOWELS.isdisjoint(part):
                describing = True
                continue  # a description's word
            if describing and part not in known:
                continue
            describing = False
            if pairs:
                found.extend(pairs)
            elif part:
                found.append(part)
    if known and not known.isdisjoint(found) and not _DISCIPLINE_WORDS.isdisjoint(found):
        found = [m for m in found if m not in _DISCIPLINE_WORDS or m in known]
    return tuple(found)

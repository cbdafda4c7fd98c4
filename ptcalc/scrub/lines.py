"""Charge-sheet rows parsed into charge lines; every unreadable cell becomes a problem on its row.

Nothing is dropped: a completely blank row is kept as blank (it gets no finding), and a row
with bad cells is still a line, carrying the problems that DAT001/DAT002 report.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from functools import partial
from itertools import compress, repeat, zip_longest
from operator import itemgetter
from datetime import date
from typing import Any

from ..errors import PtcalcInputError
from ..values import (describe, is_blank, minutes_number, normalise_code, parse_count, parse_date,
                      parse_modifiers, parse_number, text_date_order, time_cell_shown, units_number)
from .cells import codes_listed
from .columns import REQUIRED

EXCEL_ERRORS = frozenset({"#N/A", "#VALUE!", "#REF!", "#DIV/0!", "#NUM!", "#NAME?", "#NULL!", "#SPILL!",
                          "#CALC!", "#GETTING_DATA", "#FIELD!", "#BLOCKED!", "#UNKNOWN!", "#CONNECT!", "#BUSY!"})
PAYER_TYPES = {"medicare": "medicare", "medicarepartb": "medicare", "medicareadvantage": "medicare_advantage",
               "ma": "medicare_advantage", "medicaid": "medicaid", "commercial": "commercial",
               "workerscomp": "workers_comp", "workerscompensation": "workers_comp", "wc": "workers_comp",
               "selfpay": "self_pay", "self": "self_pay", "cash": "self_pay",
               # Financial-class abbreviations (a class cell, not a payer's name: `VA` there is no Virginia plan):
               # Blue Cross / Blue Shield; personal injury, judged as workers' comp and auto are (payer_names.yaml);
               # the VA, judged as its community care is (CMS coding, no KX)
               "bc": "commercial", "bs": "commercial", "bx": "commercial", "bcbs": "commercial", "pi": "workers_comp",
               "personalinjury": "workers_comp", "va": "medicare_advantage",
               # WebPT's insurance types (its Charges extract): `WCOMP`; `POS`, a point-of-service managed-care
               # plan (as its HMO, PPO and EPO, commercial: an MA plan's name beside it is read as MA); `Employer`,
               # an employer's group health plan
               "wcomp": "workers_comp", "workcomp": "workers_comp", "pos": "commercial", "employer": "commercial"}
PROVIDER_TYPES = {"PT": "PT", "PTA": "PT", "OT": "OT", "OTA": "OT", "SLP": "SLP"}  # -> discipline
ASSISTANTS = frozenset({"PTA", "OTA"})


@dataclass(frozen=True, slots=True)
class Problem:
    field: str | None  # None: the line as a whole (its values split from their headings: unquoted.py)
    kind: str  # "missing" (DAT001) or "unreadable" (DAT002)
    message: str


NO_PROBLEMS: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Override:
    """A reviewer's waiver written on the line, as a linter's `noqa`: the rules it waives and why."""

    rules: frozenset[str]
    reason: str


@dataclass(slots=True)
class ChargeLine:
    row: int  # the sheet row the user sees (header row = its own number)
    patient_id: str | None = None
    dos: date | None = None
    cpt: str | None = None
    units: int | None = None
    minutes: float | None = None
    modifiers: tuple[str, ...] = ()
    payer_type: str | None = "medicare"
    payer: str = ""
    provider_type: str | None = "PT"
    pta_minutes: float | None = None
    pos: str | None = None
    charge: float | None = None
    poc_start: date | None = None
    poc_certified: date | None = None
    progress_report: date | None = None
    ytd_prior: float | None = None
    locality: str = "national"
    claim_id: str | None = None
    claim_line: str | None = None
    visit_timed_minutes: float | None = None  # the visit's total timed minutes, when the sheet gives them
    poc_sent: date | None = None  # the plan sent to the referring physician/NPP (the 2025 certification route)
    scrub_override: Override | None = None  # findings a reviewer waived on this line, and why
    auth_number: str | None = None  # the payer's prior authorization the line is billed under
    auth_visits: int | None = None
    auth_start: date | None = None
    auth_end: date | None = None
    poc_end: date | None = None  # the last day of the certification period (Cert Thru)
    rendered_by: str | None = None  # the rendering provider when no therapist: "a student", "a physician"...
    note_type: str | None = None  # the visit's note, when the sheet says: PROGRESS_REPORT (a PN or re-evaluation)
    secondary_payer: str | None = None  # the claim's second payer, by name (its unit rule may differ: UNT008)
    problems: list[Problem] | tuple[()] = ()  # a list where the row has any (no list per line: 100,000s of them)
    bad: frozenset[str] | set[str] = NO_PROBLEMS  # fields with a problem (missing or unreadable)
    # Set by the scrub context: the payer profile, and whether other rules can judge the line.
    profile: Any = None
    judgeable: bool = False
    assumed: tuple[str, ...] = ()  # defaults applied because a name was not recognised (DAT008)

    @property
    def discipline(self) -> str | None:
        return PROVIDER_TYPES.get(self.provider_type) if self.provider_type else None

    @property
    def is_assistant(self) -> bool:
        return self.provider_type in ASSISTANTS


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


FIELDS = ("patient_id", "dos", "cpt", "units", "minutes", "modifiers", "payer_type", "payer", "provider_type",
          "pta_minutes", "pos", "charge", "poc_start", "poc_certified", "progress_report", "ytd_prior", "locality",
          "claim_id", "claim_line", "visit_timed_minutes", "poc_sent", "scrub_override", "auth_number", "auth_visits",
          "auth_start", "auth_end", "poc_end", "rendered_by", "note_type", "secondary_payer")  # ChargeLine's, in order
DATE_FIELDS = ("dos", "poc_start", "poc_certified", "progress_report", "poc_sent", "poc_end", "auth_start",
               "auth_end")
FIELD_DEFAULTS = {"modifiers": (), "payer_type": "medicare", "payer": "", "provider_type": "PT", "locality": "national"}
UNREADABLE_AS = {"modifiers": (), "payer": ""}
_BLANK = object()
# Fields read as hints, never billed (a visit's note type: POC003; the claim's second payer: UNT008): a cell that
# cannot be read there reads as saying nothing, not as a DAT002 error on a claim line that is right.
_HINTS = frozenset({"note_type", "secondary_payer"})
# Words for "nothing here" in an optional cell (`N/A` or `-` minutes on an untimed code's line), and for a plan's
# or an authorization's date that has not happened yet: read as a blank cell (a plan certified `Pending` on its
# fifth day is no error; past its 30th day POC001 says it is not certified). Not the payer's cells: `None`
# there may mean the patient pays.
_NOTHING = frozenset({"n/a", "na", "none", "-", "--", "\u2014", "null", "nil"})
_NO_DATE_YET = _NOTHING | {"pending", "not signed", "unsigned", "not certified", "not received", "not sent", "not yet",
                           "tbd", "awaiting", "awaiting signature", "waiting", "not done", "no"}
_SAY_NOTHING_IN_WORDS = {
    **dict.fromkeys(("minutes", "pta_minutes", "visit_timed_minutes", "ytd_prior", "charge", "pos", "locality",
                     "provider_type", "claim_id", "claim_line", "auth_number", "auth_visits", "scrub_override"),
                    _NOTHING),
    **dict.fromkeys(("poc_start", "poc_certified", "poc_sent", "poc_end", "progress_report", "auth_start",
                     "auth_end"), _NO_DATE_YET)}
_BOOLEAN_TEXT = {True: "TRUE", False: "FALSE"}
# Characters a cell shows nothing of, or shows as an ASCII one: zero-width spaces and joiners, a word joiner,
# a byte-order mark and a soft hyphen (text pasted from a web page or a PDF), and full-width letters and
# digits (an East Asian keyboard's `９７１１０`): read as the cell shows it.
_PLAIN_TEXT = {**dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad")),
               **{code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}, 0x3000: " "}


def day_first_dates(columns: Iterable[int], rows: list[list[Any]]) -> str | None:
    """A text date of these columns that only a day-first reading makes a date of (`15/03/2026`), when the
    sheet writes dd/mm/yyyy: its `02/03/2026` is then 2 March. That takes two such dates and none that reads
    only month first (`03/15/2026`), and the dates that read both ways falling in no more months read day
    first than month first (a US week, `03/02/2026`-`03/06/2026`, with a typo `13/03/2026`: its dates read day
    first would be 3 February to 3 June). None otherwise: the sheet is read month first, as US sheets are."""
    values: set[str] = set()
    for index in columns:
        try:
            distinct = set(map(itemgetter(index), rows))  # built in C: most cells are dates, and repeat
        except IndexError:  # a short row (a csv's)
            distinct = {row[index] for row in rows if index < len(row)}
        texts = [cell for cell in distinct if cell.__class__ is str]
        values.update(map(str.strip, texts))
    orders = {value: text_date_order(value) for value in values}
    evidence = sorted(value for value, order in orders.items() if order == "day_first")
    if len(evidence) < 2 or "month_first" in orders.values():
        return None
    either = [value for value, order in orders.items() if order is None]
    if len(_months(either, day_first=True)) > len(_months(either, day_first=False)):
        return None
    return evidence[0]


def _months(values: list[str], day_first: bool) -> set[tuple[int, int]]:
    """The (year, month) of each value that is a date read so."""
    months = set()
    for value in values:
        try:
            found = parse_date(value, "date", day_first)
        except PtcalcInputError:
            continue
        months.add((found.year, found.month))
    return months


PARSED_VALUES_KEPT = 20_000  # distinct values of a column kept parsed across a sheet's passes (LineParser._column)


class _Unreadable:
    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message


class _ParsedColumn(dict):
    """A column's parsed value by cell value: each distinct value is parsed once, when first looked up
    (one hash per cell), noting the blank ones and the problems they carry."""

    def __init__(self, parser: "LineParser", name: str) -> None:
        super().__init__()
        self.parser = parser
        self.name = name
        self.blank_values: set[Any] = set()
        self.trouble: dict[Any, Problem] = {}
        self.zero_or_one = False  # a 0 or 1 was looked up: equal to False or True, and one key with them

    def __missing__(self, value: Any) -> Any:
        name = self.name
        if value.__class__ in (bool, int, float) and (value == 0 or value == 1):
            self.zero_or_one = True
        parsed = self.parser._cell(name, value)
        if parsed is _BLANK:
            self.blank_values.add(value)
            parsed = self.parser.defaults.get(name)
            if name in REQUIRED:
                self.trouble[value] = Problem(name, "missing", f"{name} is empty")
        elif parsed.__class__ is _Unreadable:
            self.trouble[value] = Problem(name, "unreadable", parsed.message)
            # No default: rules that need the value do not judge the line (the field is in its `bad`); a
            # payer name or modifiers read as none keep the line's types (an Excel #N/A is no crash)
            parsed = UNREADABLE_AS.get(name)
        self[value] = parsed
        return parsed


class LineParser:
    """Parses rows for one sheet; caches the parse of values that repeat (dates, codes, modifiers)."""

    def __init__(self, columns: dict[str, int], locality_key: Callable[[Any], str], max_minutes: float,
                 max_units: int, decimal_comma: bool = False, modifiers: frozenset[str] = frozenset(),
                 overridable: frozenset[str] = frozenset(), default_locality: str = "national") -> None:
        self._columns = tuple(columns.items())
        self.defaults = {**FIELD_DEFAULTS, "locality": default_locality}  # a blank cell's value, or a missing column's
        self.decimal_comma = decimal_comma
        self.blank_rows = 0
        self.locality_key = locality_key
        self.max_minutes = max_minutes
        self.max_units = max_units
        self.overridable = overridable  # the rule IDs a scrub_override may waive
        self.day_first = False  # the sheet writes its text dates dd/mm/yyyy (day_first_dates), set before parsing
        self._parsed: dict[str, _ParsedColumn] = {}  # each column's values parsed so far, kept across passes
        self._parsers = {
            **{name: partial(self._date, name) for name in DATE_FIELDS},
            "auth_visits": lambda v: parse_count(_VISITS_TEXT.sub("", v) if isinstance(v, str) else v, "auth_visits"),
            "cpt": _cpt, "units": self._units, "minutes": lambda v: self._minutes(v, "minutes"),
            "pta_minutes": lambda v: self._minutes(v, "pta_minutes"),
            "visit_timed_minutes": lambda v: self._minutes(v, "visit_timed_minutes"),
            "modifiers": lambda v: parse_modifiers(v, modifiers),
            "payer_type": _payer_type, "provider_type": _provider_type, "pos": _pos,
            "charge": lambda v: self._amount(v, "charge"), "ytd_prior": lambda v: self._amount(v, "ytd_prior"),
            "locality": self._locality, "scrub_override": self._override, "note_type": note_kind,
        }

    def parse_rows(self, data: list[list[Any]], first_row: int, cells: dict[str, list[Any]] | None = None,
                   skip: set[int] | None = None) -> list[ChargeLine]:
        """The lines of `data`, whose first row is sheet row `first_row`; completely blank rows are
        skipped (and counted in `blank_rows`), and so are the rows in `skip` (indexes into `data`:
        totals and footers, not claim lines). `cells` replaces a field's column (merged modifiers,
        codes read out of descriptions).

        Column by column: each distinct value of a column is parsed once (charge sheets repeat
        codes, dates and modifiers), then the columns are zipped into lines. Only rows holding a
        problem value are visited one by one.
        """
        cells_for = cells or {}
        count = len(data)
        maybe_blank: list[int] | None = None  # rows blank in every column so far
        problems: dict[int, list[Problem]] = {}
        columns: dict[str, list[Any]] = {}
        rectangular = len(set(map(len, data))) <= 1  # calamine's rows are; csv rows may not be
        transposed = list(zip(*data) if rectangular else zip_longest(*data))  # short rows padded with None
        names = dict(self._columns)
        names.update({name: -1 for name in cells_for})
        for name, index in names.items():
            if name in cells_for:
                cells = cells_for[name]
            else:
                cells = transposed[index] if 0 <= index < len(transposed) else (None,) * count
            parsed = self._column(name)
            # Every line gets the one parsed object of its value (even where parsing changes nothing):
            # the reader's own cell objects are not kept alive, which is a third of the memory at 1M lines.
            columns[name] = list(map(parsed.__getitem__, cells))
            if parsed.zero_or_one and bool in set(map(type, cells)):
                # A TRUE/FALSE cell is the text Excel shows, not 1 or 0 (True == 1 would share 1's parse)
                cells = [_BOOLEAN_TEXT[cell] if cell.__class__ is bool else cell for cell in cells]
                parsed = self._parsed[name] = _ParsedColumn(self, name)  # not the one holding True as 1
                columns[name] = list(map(parsed.__getitem__, cells))
            candidates = range(count) if maybe_blank is None else maybe_blank
            blank_values = parsed.blank_values
            maybe_blank = [i for i in candidates if cells[i] in blank_values] if blank_values else []
            trouble = parsed.trouble
            if trouble:
                for i in compress(range(count), map(trouble.__contains__, cells)):
                    problems.setdefault(i, []).append(trouble[cells[i]])
        blank_rows = {i for i in (maybe_blank or ()) if all(is_blank(v) for v in data[i])}
        self.blank_rows += len(blank_rows)  # the summary counts them (kept in the copy, not judged)
        field_columns = [columns.get(name) or repeat(self.defaults.get(name), count) for name in FIELDS]
        lines = list(map(ChargeLine, range(first_row, first_row + count), *field_columns))
        for i, found in problems.items():
            lines[i].problems = found
            lines[i].bad = {p.field for p in found}
        skipped = blank_rows | (skip or set())
        if skipped:
            lines = [line for i, line in enumerate(lines) if i not in skipped]
        return lines

    def _column(self, name: str) -> _ParsedColumn:
        """The column's parsed values, shared by the passes over a sheet (a patient's id, a plan's dates recur
        from pass to pass); started again past PARSED_VALUES_KEPT values, so that a column of values that never
        repeat (a claim number) does not hold one entry per line of a million-line file."""
        parsed = self._parsed.get(name)
        if parsed is None or len(parsed) > PARSED_VALUES_KEPT:
            parsed = self._parsed[name] = _ParsedColumn(self, name)
        return parsed

    def _cell(self, name: str, value: Any) -> Any:
        """The parsed value, _BLANK for an empty cell, or an _Unreadable carrying the message."""
        if value.__class__ is str and not value.isascii():
            value = value.translate(_PLAIN_TEXT)
        if value is None or value == "" or (value.__class__ is str and not value.strip()):
            return _BLANK
        if value.__class__ is str and name in _SAY_NOTHING_IN_WORDS and \
                " ".join(value.lower().replace(".", "").split()) in _SAY_NOTHING_IN_WORDS[name]:
            return _BLANK  # `N/A` minutes on an evaluation, a plan certified `Pending`: as a blank cell says
        try:
            if value.__class__ is str and "#" in value and value.strip().upper() in EXCEL_ERRORS and name not in _HINTS:
                raise PtcalcInputError(f"{name} holds the Excel error {value.strip()}")
            return self._parsers.get(name, _text)(value)
        except PtcalcInputError as exc:
            return _Unreadable(str(exc))

    def _date(self, name: str, value: Any) -> date:
        return parse_date(value, name, self.day_first)

    def _decimal(self, value: Any) -> Any:
        """`12,5` means 12.5 in a ';'-delimited csv (and `1.234,50` means 1234.50)."""
        if self.decimal_comma and isinstance(value, str) and "," in value:
            return value.replace(".", "").replace(",", ".")
        return value

    def _units(self, value: Any) -> int:
        number = parse_number(units_number(self._decimal(value)), "units")
        if not number.is_integer():
            raise PtcalcInputError(f"units: {describe(number)} is not a whole number of units")
        if number < 0:
            raise PtcalcInputError(f"units: {describe(number)} is negative")
        if number > self.max_units:
            raise PtcalcInputError(f"units: {describe(number)} is more than {self.max_units} on one line")
        return int(number)

    def _minutes(self, value: Any, name: str) -> float:
        minutes = parse_number(minutes_number(self._decimal(value)), name)
        if minutes < 0:
            raise PtcalcInputError(f"{name}: {describe(minutes)} is negative")
        if minutes > self.max_minutes:
            raise PtcalcInputError(f"{name}: {describe(minutes)} is more than {self.max_minutes:g} minutes on one line")
        if clock := time_cell_shown(minutes):  # a duration cell read as its number (the macro in xlwings Lite)
            raise PtcalcInputError(f"{name}: {describe(minutes)} is less than a minute: a time cell "
                                   f"({clock}) read as its fraction of a day? Give the minutes as a number")
        return minutes

    def _amount(self, value: Any, name: str) -> float:
        """Money as exports write it: `$1,234.50`, `(12.00)` and `12.00-` refused as negative, `12,5` in a ';' file."""
        if isinstance(value, str):
            text = self._decimal(value.strip().replace("$", "").replace(" ", ""))
            if text.startswith("(") and text.endswith(")"):
                text = "-" + text[1:-1]
            elif text.endswith("-") and text[:-1].replace(".", "").isdigit():  # `12.00-`, a report's negative
                text = "-" + text[:-1]
            value = text
        amount = parse_number(value, name)
        if amount < 0:
            raise PtcalcInputError(f"{name}: {describe(amount)} is negative")
        return amount

    def _locality(self, value: Any) -> str:
        return self.locality_key(_text(value))

    def _override(self, value: Any) -> Override:
        """`PTP001: distinct sessions documented`, `PTP001, MOD010 - reviewed JD 3/4`: rule IDs, then the reason."""
        example = "write the rule, then why (PTP001: distinct 15-minute blocks, see note)"
        waiver = _OVERRIDE.match(_text(value))
        if waiver is None:
            raise PtcalcInputError(f"scrub_override: {describe(value)} names no rule: {example}")
        rules = frozenset(_RULE_ID.findall(waiver["rules"].upper()))
        if not_waivable := sorted(rules - self.overridable):
            raise PtcalcInputError(f"scrub_override: {', '.join(not_waivable)} cannot be waived (`ptcalc rules` lists "
                                   "the rules; a missing, unreadable, future or unknown value is corrected in its "
                                   "cell)")
        if not any(ch.isalnum() for ch in waiver["reason"]):
            raise PtcalcInputError(f"scrub_override: {describe(value)} gives no reason: {example}")
        return Override(rules, waiver["reason"])


def _cpt(value: Any) -> str:
    if listed := codes_listed(value):
        raise PtcalcInputError(f"cpt: {describe(value)} holds {len(listed)} codes ({', '.join(listed)}); a claim line "
                               "has one: put each code on its own line with its units and minutes")
    return normalise_code(value, "cpt")


# A visit's note that is a progress report (CMS Pub. 100-02 ch.15 §220.3 D): a progress note or report, or a
# re-evaluation ("focused on evaluation of progress toward current goals", §220.3 C), as exports name them: WebPT's
# PN and RE, `Progress Note`, `PN/Recert`, `Re-Eval`. Any other note (IE, DN, DS, `Daily Note`) is not one.
_PROGRESS_TEXT = re.compile(r"progress|re-?\s?eval|reassess", re.I)
_PROGRESS_WORDS = frozenset({"pn", "pr", "re", "prog", "reeval", "reevaluation", "reassessment"})
PROGRESS_REPORT = "progress report"


def says_progress_report(value: Any) -> bool:
    """A cell whose words say a progress report or re-evaluation outright (`PT Progress Note`, `Re-Evaluation`),
    not by an abbreviation a booked visit's type may use otherwise (`RE` of a `Re-Check`)."""
    return isinstance(value, str) and _PROGRESS_TEXT.search(value) is not None


def note_kind(value: Any) -> str | None:
    """PROGRESS_REPORT for a note that is one, else None (a daily note, an evaluation, a discharge: not read)."""
    text = str(value)
    if _PROGRESS_TEXT.search(text) or not _PROGRESS_WORDS.isdisjoint(re.split(r"[^a-z]+", text.lower())):
        return PROGRESS_REPORT
    return None


def _payer_type(value: Any) -> str:
    key = "".join(ch for ch in str(value).lower() if ch.isalnum())
    if key == "private":  # a financial class of both kinds: private insurance, private pay
        raise PtcalcInputError(f"payer_type: {describe(value)} is private insurance (commercial) or private pay "
                               "(self_pay)? Write which")
    if key not in PAYER_TYPES:
        names = ", ".join(sorted(set(PAYER_TYPES.values())))
        raise PtcalcInputError(f"payer_type: {describe(value)} is not one of {names} (a class of the clinic's own: "
                               "name its payer type in payer_names.yaml, or in the clinic's ptcalc.yaml under payers)")
    return PAYER_TYPES[key]


def _provider_type(value: Any) -> str:
    text = _text(value).upper()
    if text not in PROVIDER_TYPES:
        raise PtcalcInputError(f"provider_type: {describe(value)} is not one of PT, PTA, OT, OTA, SLP")
    return text


_VISITS_TEXT = re.compile(r"\s*(?:visits?|v)\.?\s*$", re.I)  # `12 visits`
_RULE_ID = re.compile(r"[A-Z]{3}\d{3}")
# Rule IDs (separated by commas, slashes, `and`...) at the start of the cell, then the reason.
_OVERRIDE = re.compile(r"^[\[(]?\s*(?P<rules>[A-Za-z]{3}\d{3}(?:\s*(?:[,;/&+]|and)?\s*[A-Za-z]{3}\d{3})*)\b"
                       r"[\s:;,.)\]-]*(?P<reason>.*)$", re.S)

_POS_PREFIX = re.compile(r"^(?:pos|place of service)\s*[:#-]?\s*(?=\d)", re.I)  # `POS 11`, `POS: 11`
_POS_WITH_NAME = re.compile(r"^(\d{1,2})\s*[-–:]\s*[A-Za-z].*$|^[A-Za-z][^()]*\((\d{1,2})\)$")


# Names of the CMS Place of Service code set (cms.gov, Place of Service Code Set) where therapy is furnished, as
# exports print a place of service without its code. A name two codes share is read as one of them: every rule
# judges the two alike (Telehealth: 02, or 10 in the patient's home, both telehealth to TEL001-TEL003; Outpatient
# Hospital: 19 off campus or 22 on campus, neither telehealth; therapy is priced at the non-facility rate in every
# setting), and the claim's own code is the practice-management system's to write, not the export's to show.
_POS_NAMES = {"office": "11", "home": "12", "patientshome": "12", "assistedlivingfacility": "13", "grouphome": "14",
              "mobileunit": "15", "offcampusoutpatienthospital": "19", "inpatienthospital": "21",
              "oncampusoutpatienthospital": "22", "skillednursingfacility": "31", "snf": "31", "nursingfacility": "32",
              "custodialcarefacility": "33", "independentclinic": "49", "federallyqualifiedhealthcenter": "50",
              "comprehensiveoutpatientrehabilitationfacility": "62", "corf": "62", "ruralhealthclinic": "72",
              "telehealthprovidedotherthaninpatientshome": "02", "telehealthprovidedinpatientshome": "10",
              "school": "03", "telehealth": "02", "outpatienthospital": "22"}


def _pos(value: Any) -> str:
    """`11`, `2` (02), the code with its name as exports print it (`11 - Office`, `Telehealth (10)`), or the
    code set's name alone (`Office`)."""
    text = _POS_PREFIX.sub("", _text(value))
    if named := _POS_WITH_NAME.match(text):
        text = named.group(1) or named.group(2)
    key = "".join(ch for ch in text.lower() if ch.isalpha())
    text = _POS_NAMES.get(key, text)
    if not text.isdigit() or len(text) > 2:
        raise PtcalcInputError(f"pos: {describe(value)} is not a two-digit place of service")
    return text.zfill(2)


assert FIELDS == tuple(f.name for f in fields(ChargeLine))[1:len(FIELDS) + 1], "FIELDS must follow ChargeLine"

"""Running every rule over a charge sheet and rolling the findings up per line and per sheet."""
from __future__ import annotations

import gc
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from itertools import chain, islice
from datetime import date
from decimal import Decimal
from pathlib import Path
from time import perf_counter
from typing import Any

from ..errors import PtcalcInputError, UsageError
from ..info import data_versions
from ..localities import locality_key
from ..claims.sniff import looks_like_x12
from ..refdata import Reference, load_reference
from .cells import filled
from .findings import COUNTS_AS, LINE_STATUS_ORDER, Finding, line_status, more_serious
from .judge import judge_lines
from .layout import describe as describe_layout
from .layout import Prepared, SheetLayout, locate, prepare
from .rows import VisitCarry, carry_visit_cells_down, not_claim_lines
from .lines import ChargeLine, LineParser, day_first_dates
from .reader import RawSheet, is_workbook, read_sheet, sheet_names
from .visit_rows import line_per_code
from .unfilled import (columns_judged, columns_no_line_fills, discipline_unsaid_for, discipline_unsaid_said,
                       read_as)
from .unquoted import WiderLines
from .rules import all_rules
from .rules.dat import other_profession_code, self_pay_own_code

BLOCKING = ("error", "warning")
LOCALITY_HINT = "; --locality or the clinic's ptcalc.yaml sets it"  # the command line's (the Excel macro says its own)
CHUNK_ROWS = 50_000  # rows read, and searched for totals, reversals and footers, at a time (running on to the end
# of a patient's date: at most twice this): a streamed read never holds more of the file
PASS_ROWS = 5_000  # rows prepared and parsed at a time: each column pass over them stays in the CPU cache
# (measured: a 100,000-line sheet's rows -> lines in 0.32 s, against 0.79 s in passes of 50,000 rows)


@dataclass
class ScrubResult:
    sheet: RawSheet
    header_index: int
    columns: dict[str, int]  # field -> the sheet column showing it (the cell a finding on the field highlights)
    lines: list[ChargeLine]
    findings: list[Finding]
    expected_units: dict[int, int | None]
    as_of: date
    versions: dict[str, object]
    reading: dict[str, object] = field(default_factory=dict)  # how the sheet was read (layout.describe)
    not_lines: dict[int, str] = field(default_factory=dict)  # sheet row -> why it is not a claim line
    blank_rows: int = 0  # completely blank rows below the header (kept in the copy, not judged)
    # Seconds each step took: read (the file opened and loaded; a streamed sheet's rows are then taken while the
    # lines are built), lines, judge (`ptcalc bench` says where a scrub's time goes)
    timings: dict[str, float] = field(default_factory=dict)
    by_row: dict[int, list[Finding]] = field(default_factory=dict)
    _summary: dict[str, object] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        grouped: dict[int, list[Finding]] = defaultdict(list)
        for finding in self.findings:
            grouped[finding.row].append(finding)
        self.by_row = dict(grouped)

    def status(self, row: int) -> str:
        return line_status(self.by_row.get(row, []))

    @property
    def exit_code(self) -> int:
        return 1 if any(f.severity == "error" and f.status == "fail" for f in self.findings) else 0

    def summary(self) -> dict[str, object]:
        if self._summary is None:
            self._summary = self._summarise()
        return self._summary

    def _summarise(self) -> dict[str, object]:
        """Every count in one pass over the findings (a heavy sheet has about one a line)."""
        worst: dict[int, str] = {}  # row -> the line's status (its most serious finding)
        by_rule: dict[str, dict] = {}
        at_risk: dict[int, Decimal] = {}
        left_on_table = Decimal("0.00")
        failures = dict.fromkeys(("error", "warning", "info"), 0)
        by_status = dict.fromkeys(("fail", "bypassed", "no_data"), 0)
        for finding in self.findings:
            counts_as = COUNTS_AS[(finding.status, finding.severity)]
            if more_serious(counts_as, worst.get(finding.row)):
                worst[finding.row] = counts_as
            entry = by_rule.get(finding.rule)
            if entry is None:
                entry = by_rule[finding.rule] = {"rule": finding.rule, "name": finding.name,
                                                 "severity": finding.severity, "fail": 0, "bypassed": 0,
                                                 "no_data": 0, "amount_at_risk": Decimal("0.00")}
            entry[finding.status] += 1
            by_status[finding.status] += 1
            if finding.status != "fail":
                continue
            failures[finding.severity] += 1
            if finding.amount_at_risk is None:
                continue
            entry["amount_at_risk"] += finding.amount_at_risk
            if finding.severity in BLOCKING:  # a line can only be lost once
                at_risk[finding.row] = max(at_risk.get(finding.row, Decimal(0)), finding.amount_at_risk)
            else:
                left_on_table += finding.amount_at_risk
        statuses = Counter(worst.values())
        statuses["CLEAN"] += len(self.lines) - len(worst)
        order = {r.id: i for i, r in enumerate(all_rules())}
        rules = [{**e, "amount_at_risk": float(e["amount_at_risk"])} for e in
                 sorted(by_rule.values(), key=lambda e: order[e["rule"]])]
        return {
            "source": self.sheet.source.name,
            "sheet": self.sheet.sheet_name,
            "as_of": self.as_of.isoformat(),
            "lines": len(self.lines),
            "blank_rows": self.blank_rows,
            "not_claim_lines": len(self.not_lines),
            "clean": not by_status["no_data"] and not any(failures[s] for s in BLOCKING),
            "lines_by_status": {s: statuses.get(s, 0) for s in LINE_STATUS_ORDER},
            "failures_by_severity": failures,
            "no_data": by_status["no_data"],
            "bypassed": by_status["bypassed"],
            "dollars_at_risk": float(sum(at_risk.values(), Decimal("0.00"))),
            "dollars_left_on_table": float(left_on_table),
            "findings_by_rule": rules,
            "exit_code": 1 if failures["error"] else 0,
        }


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a batch job.

    A 100,000-line sheet keeps about two million cell objects alive, and every collection
    walks all of them; the scrub creates no reference cycles worth collecting, and reference
    counting still frees everything, so collections only cost time here (measured: ~5x on
    building the lines). Switched back on, the collector would first walk every object made
    during the pause (0.2 s at 100,000 lines): they go straight to the oldest generation instead,
    which a full collection still visits later.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.freeze()  # freeze then unfreeze: every tracked object into the oldest generation, unwalked
            gc.unfreeze()
            gc.enable()


def scrub_sheet(sheet: RawSheet, ref: Reference | None = None, as_of: date | None = None,
                column_map: dict[str, str] | None = None, jobs: int | None = 1,
                locality: str | None = None, locality_from: str = "--locality") -> ScrubResult:
    """Scrub rows already read from a file (or built in memory, as the Excel macro does);
    `jobs` processes judge the patient partitions (None: as many as help, judge.auto_jobs); `locality`
    prices the lines that give none, as `locality_from` (a clinic's settings file) said."""
    with cyclic_gc_paused():
        return _scrub(sheet, ref, as_of, column_map, jobs, locality, locality_from)


def _scrub(sheet: RawSheet, ref: Reference | None, as_of: date | None, column_map: dict[str, str] | None,
           jobs: int | None, locality: str | None = None, locality_from: str = "--locality") -> ScrubResult:
    ref = ref or load_reference()
    as_of = as_of or date.today()
    if sheet.header_index is None:
        raise UsageError(f"{sheet.source}: the sheet is empty (no header row)")
    try:
        clinic = locality_key(ref, locality)  # the locality of lines that give none: national unless said
    except PtcalcInputError as exc:
        raise UsageError(f"{locality_from}: {str(exc).removeprefix('locality: ')}") from None
    layout = locate(sheet.rows, str(sheet.source), column_map, timed_codes=ref.timed_codes,
                    known_codes=ref.codes, known_modifiers=frozenset(ref.modifiers))
    header_index = layout.header_index
    parser = LineParser(layout.columns, partial(locality_key, ref),
                        float(ref.constant("max_minutes_per_line")), int(ref.constant("max_units_per_line")),
                        decimal_comma=sheet.decimal_comma, modifiers=frozenset(ref.modifiers),
                        overridable=frozenset(rule.id for rule in all_rules() if rule.overridable),
                        default_locality=clinic)
    started = perf_counter()
    lines, read = _read_lines(sheet, layout, ref, parser)
    built = perf_counter()
    # An export's column no line fills is judged as absent (unfilled.py); a claim's blank cells are its own
    unfilled = [] if sheet.claims_as_sent else columns_no_line_fills(lines, layout, ref.timed_codes)
    unsaid = [] if sheet.claims_as_sent else discipline_unsaid_for(lines, layout, ref, unfilled)
    judged = judge_lines(lines, ref, columns_judged(layout, unfilled, unsaid, sheet.claims_as_sent), as_of, jobs)
    timings = {"lines": built - started, "judge": perf_counter() - built}
    if judged.payer_copies:  # a claims export's charge listed for each payer: judged once, the others kept in place
        lines = [line for line in lines if line.row not in judged.payer_copies]
        read.not_lines.update((row - header_index - 2, why) for row, why in judged.payer_copies.items())
    versions = data_versions(ref, judged.latest_service or as_of)
    versions["fallbacks"] = sorted(set(versions["fallbacks"]) | judged.pricing_fallbacks)
    reading = describe_layout(layout, read, header_index + 1)
    if unfilled or unsaid:
        reading["columns_empty"] = [f"{layout.source_of(name)} is empty on every line: {read_as(name)}"
                                    for name in unfilled]
        if unsaid:
            billed = {line.payer_type for line in lines if line.units and line.payer_type is not None}
            reading["columns_empty"].append(discipline_unsaid_said(layout, unsaid, billed))
    codes = ref.codes
    unknown = [line.cpt for line in lines if line.cpt not in codes and line.cpt is not None]  # a few, most sheets
    if quality := sum(code in ref.quality_codes for code in unknown):
        lines_say = f"{quality} line reports" if quality == 1 else f"{quality} lines report"
        reading["quality_data_codes"] = (f"{lines_say} quality data codes (CMS status M: MIPS measures, reported "
                                         "at $0, never paid): not judged")
    if other := sum(other_profession_code(code, ref) for code in unknown):
        lines_bill = f"{other} line bills" if other == 1 else f"{other} lines bill"
        reading["other_codes"] = (f"{lines_bill} another profession's codes (CMS's fee schedule lists them: an E/M "
                                  "visit, a chiropractic manipulation): outside therapy, not judged")
    if own := sum(self_pay_own_code(line, ref) for line in lines if line.payer_type == "self_pay"):
        reading["self_pay_codes"] = (f"{own} self-pay line{'s' if own > 1 else ''} bill{'' if own > 1 else 's'} "
                                     "codes ptcalc does not know (a clinic's own codes for its self-pay rates or "
                                     "supplies): no claim goes to a payer, not judged")
    if "locality" not in layout.columns or clinic != "national":
        reading["locality"] = _locality_reading(ref, clinic, "locality" in layout.columns, locality_from)
    sheet.complete_reading(reading)
    not_lines = {header_index + 2 + i: why for i, why in read.not_lines.items()}
    shown_in = dict(layout.columns)  # field -> the column a finding on it highlights
    if "provider_type" not in shown_in and "provider_name" in layout.extra and not layout.provider_headings:
        shown_in["provider_type"] = layout.extra["provider_name"]  # the type the provider's name says
    return ScrubResult(sheet, header_index, shown_in, lines, judged.findings, judged.expected_units,
                       as_of, versions, reading, not_lines, blank_rows=parser.blank_rows, timings=timings)


def _locality_reading(ref: Reference, clinic: str, column: bool, said_by: str) -> str:
    """Where the lines are priced (amounts, dollars at risk, KX totals), in words: GPCIs move a line's
    allowed amount by ±10-50% from the national one."""
    where = "national rates (GPCI 1.0)" if clinic == "national" else \
        f"{clinic} {ref.gpcis[max(ref.gpcis)].rows[clinic].name}" if clinic in ref.gpcis[max(ref.gpcis)].rows \
        else clinic
    said = "lines whose locality cell is blank" if column else "every line (the sheet has no locality column)"
    hint = LOCALITY_HINT if clinic == "national" else f" ({said_by})"
    return f"{said} priced at {where}{hint}"


def _read_lines(sheet: RawSheet, layout: SheetLayout, ref: Reference,
                parser: LineParser) -> tuple[list[ChargeLine], Prepared]:
    """The sheet's charge lines, CHUNK_ROWS rows at a time (a streamed sheet is read as it goes), and
    what preparing the rows found (not-claim-line rows and defaults), by index into the data rows."""
    lines: list[ChargeLine] = []
    read = Prepared({}, {}, {})
    data = chain(islice(sheet.rows, layout.header_index + 1, None), sheet.rest or ())
    offset = 0
    carry = VisitCarry()  # a visit's lines, and a patient's heading, may continue into the next chunk
    # Delimited text's lines wider than its header: a value split by its delimiter (unquoted.py)
    wider = WiderLines.of(layout, len(sheet.rows[layout.header_index]), sheet.delimiter) \
        if sheet.delimiter and not sheet.reshaped else None
    for chunk in _reading_chunks(data, layout):
        first = layout.header_index + 1 + offset  # the sheet row index of chunk[0]
        merged = (lambda i, col, first=first: sheet.merged_over(first + i, col)) if sheet.merged_below else None
        past = wider.past_header(chunk) if wider else {}
        chunk, carried, carry = carry_visit_cells_down(layout, chunk, carry, merged)
        if not offset:  # the first chunk (the whole sheet but for the largest) says how its dates are written
            read.day_first = day_first_dates(layout.date_columns(), chunk)
            parser.day_first = read.day_first is not None
        notes: dict[int, list[str]] = {i: [note] for i, note in carried.items()}
        for i, note in sheet.row_notes.items():
            if first <= i < first + len(chunk):
                notes.setdefault(i - first, []).append(note)
        not_lines = not_claim_lines(layout, chunk, first + 1)
        split = wider.in_chunk(past, chunk, not_lines, sheet.notes) if wider and past else {}
        notes_by_pass, not_lines_by_pass, split_by_pass = _by_pass(notes), _by_pass(not_lines), _by_pass(split)
        for number, start in enumerate(range(0, len(chunk), PASS_ROWS)):
            lines.extend(_parse_pass(layout, chunk[start:start + PASS_ROWS], first + 1 + start, ref, parser,
                                     notes_by_pass.get(number, {}), not_lines_by_pass.get(number, {}), read,
                                     split_by_pass.get(number, {}), wider))
        read.not_lines.update((offset + i, why) for i, why in not_lines.items())
        offset += len(chunk)
    sheet.rest = None  # the reader (and the file's cells it holds) can go
    read.from_headings = carry.from_headings
    return lines, read


def _reading_chunks(rows: Iterator[list[object]], layout: SheetLayout) -> Iterator[list[list[object]]]:
    """The data rows CHUNK_ROWS at a time, each running on to the last row of the patient and date it would
    stop in (at most CHUNK_ROWS rows more): a visit's total row, or a reversal below its charge, is read with
    the lines it refers to (cut from them, a visit's total was read as a line missing its code)."""
    at = (layout.columns["patient_id"], layout.columns["dos"])
    pending: list[list[object]] = []
    while chunk := pending + list(islice(rows, CHUNK_ROWS - len(pending))):
        pending = []
        if len(chunk) >= CHUNK_ROWS and (key := _patient_and_date(chunk[-1], at)) is not None:
            for row in islice(rows, CHUNK_ROWS):
                if _patient_and_date(row, at) != key:
                    pending = [row]
                    break
                chunk.append(row)
        yield chunk


def _patient_and_date(row: list[object], at: tuple[int, int]) -> tuple[object, object] | None:
    cells = tuple(row[i] if i < len(row) else None for i in at)
    return cells if all(filled(cell) for cell in cells) else None


def _by_pass(by_index: dict[int, Any]) -> dict[int, dict[int, Any]]:
    """Entries by a chunk's row index -> by pass number, then by row index into the pass."""
    passes: dict[int, dict[int, Any]] = {}
    for i, value in by_index.items():
        passes.setdefault(i // PASS_ROWS, {})[i % PASS_ROWS] = value
    return passes


def _parse_pass(layout: SheetLayout, rows: list[list[object]], first_row: int, ref: Reference, parser: LineParser,
                notes: dict[int, list[str]], not_lines: dict[int, str], read: Prepared,
                split: dict[int, list[Any]], wider: WiderLines | None) -> list[ChargeLine]:
    """The lines of `rows` (sheet row `first_row` first), with the defaults each was read with; a line wider than
    the header (`split`: its values past it) as `wider` judges it."""
    prepared = prepare(layout, rows, ref, notes, first_row, not_lines, parser.day_first)
    parsed = parser.parse_rows(rows, first_row, prepared.cells, set(not_lines))
    by_row = {line.row: line for line in parsed} if prepared.assumed else {}
    for i, assumed in prepared.assumed.items():
        line = by_row.get(first_row + i)
        if line is not None:
            line.assumed = tuple(assumed)
    for what, count in prepared.defaults.items():
        read.defaults[what] = read.defaults.get(what, 0) + count
    read.no_payer += prepared.no_payer
    if split and wider:
        parsed = [wider.judged(line, split[line.row - first_row]) if line.row - first_row in split else line
                  for line in parsed]
    return parsed


def read_charge_sheet(path: str | Path, sheet: str | None = None,
                      column_map: dict[str, str] | None = None, stream: bool = False) -> RawSheet:
    """The charge sheet of a file: --sheet, else `Charges` when the workbook has one, else the first
    sheet with a header that names the required fields. `stream`: see RawSheet.rest."""
    path = Path(path)
    if path.is_file() and looks_like_x12(path):
        from ..claims.read837 import read_837  # pyx12 is imported only for claim files

        claims, problems = read_837(path)
        claims.notes.extend(problems)
        return claims
    if sheet is not None or not is_workbook(path):
        return line_per_code(read_sheet(path, sheet, stream), column_map)
    names = sheet_names(path)
    if "Charges" in names:
        return line_per_code(read_sheet(path, "Charges", stream), column_map)
    problems = []
    for at, name in enumerate(names):
        candidate = line_per_code(read_sheet(path, name, stream), column_map)
        try:
            locate(candidate.rows, str(path), column_map)
        except UsageError as exc:
            problems.append(f"{name!r}: {str(exc).split(': ', 1)[-1]}")
            continue
        candidate.other_sheets = [other for other in names[at + 1:] if _has_charge_header(path, other, column_map)]
        return candidate
    if len(names) == 1:
        return line_per_code(read_sheet(path, names[0], stream), column_map)  # its own error says what its rows hold
    raise UsageError(f"{path}: no sheet has a charge-sheet header ({' | '.join(problems)[:600]}); "
                     "choose one with --sheet")


def _has_charge_header(path: Path, sheet: str, column_map: dict[str, str] | None) -> bool:
    """A workbook with a sheet per clinic or provider: the ones not scrubbed are named, never passed over."""
    try:
        locate(line_per_code(read_sheet(path, sheet, stream=True), column_map).rows, str(path), column_map)
    except UsageError:
        return False
    return True


def scrub_file(path: str | Path, sheet: str | None = None, as_of: date | None = None,
               ref: Reference | None = None, column_map: dict[str, str] | None = None, jobs: int | None = 1,
               stream: bool = False, locality: str | None = None, locality_from: str = "--locality") -> ScrubResult:
    """Read and scrub a file; `stream` when the outputs need no copy of the rows (json, csv); `locality`
    for the lines that give none (default national), as `locality_from` said."""
    with cyclic_gc_paused():
        started = perf_counter()
        read = read_charge_sheet(path, sheet, column_map, stream)
        opened = perf_counter() - started
        result = scrub_sheet(read, ref, as_of, column_map, jobs, locality, locality_from)
    result.timings = {"read": opened, **result.timings}
    return result

"""Running every rule over a charge sheet and rolling the findings up per line and per sheet."""
from __future__ import annotations

import gc
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from ..errors import UsageError
from ..info import data_versions
from ..claims.sniff import looks_like_x12
from ..refdata import Reference, load_reference
from .context import ScrubContext
from .findings import LINE_STATUS_ORDER, Finding, line_status, sort_key
from .layout import describe as describe_layout
from .layout import locate, prepare
from .lines import ChargeLine, LineParser
from .reader import EXCEL_SUFFIXES, RawSheet, read_sheet, sheet_names
from .rules import all_rules

BLOCKING = ("error", "warning")


@dataclass
class ScrubResult:
    sheet: RawSheet
    header_index: int
    columns: dict[str, int]
    lines: list[ChargeLine]
    findings: list[Finding]
    expected_units: dict[int, int | None]
    as_of: date
    versions: dict[str, object]
    reading: dict[str, object] = field(default_factory=dict)  # how the sheet was read (layout.describe)
    not_lines: dict[int, str] = field(default_factory=dict)  # sheet row -> why it is not a claim line
    blank_rows: int = 0  # completely blank rows below the header (kept in the copy, not judged)
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
        statuses = Counter(line_status(found) for found in self.by_row.values())
        statuses["CLEAN"] += len(self.lines) - len(self.by_row)
        by_rule: dict[str, dict] = {}
        at_risk: dict[int, Decimal] = {}
        left_on_table = Decimal("0.00")
        for finding in self.findings:
            entry = by_rule.setdefault(finding.rule, {"rule": finding.rule, "name": finding.name,
                                                      "severity": finding.severity, "fail": 0, "bypassed": 0,
                                                      "no_data": 0, "amount_at_risk": Decimal("0.00")})
            entry[finding.status] += 1
            if finding.status != "fail" or finding.amount_at_risk is None:
                continue
            entry["amount_at_risk"] += finding.amount_at_risk
            if finding.severity in BLOCKING:  # a line can only be lost once
                at_risk[finding.row] = max(at_risk.get(finding.row, Decimal(0)), finding.amount_at_risk)
            else:
                left_on_table += finding.amount_at_risk
        order = [r.id for r in all_rules()]
        rules = [{**e, "amount_at_risk": float(e["amount_at_risk"])} for e in
                 sorted(by_rule.values(), key=lambda e: order.index(e["rule"]))]
        severities = Counter(f.severity for f in self.findings if f.status == "fail")
        return {
            "source": self.sheet.source.name,
            "sheet": self.sheet.sheet_name,
            "as_of": self.as_of.isoformat(),
            "lines": len(self.lines),
            "blank_rows": self.blank_rows,
            "not_claim_lines": len(self.not_lines),
            "clean": not any(f.status == "no_data" or (f.status == "fail" and f.severity in BLOCKING)
                             for f in self.findings),
            "lines_by_status": {s: statuses.get(s, 0) for s in LINE_STATUS_ORDER},
            "failures_by_severity": {s: severities.get(s, 0) for s in ("error", "warning", "info")},
            "no_data": sum(1 for f in self.findings if f.status == "no_data"),
            "bypassed": sum(1 for f in self.findings if f.status == "bypassed"),
            "dollars_at_risk": float(sum(at_risk.values(), Decimal("0.00"))),
            "dollars_left_on_table": float(left_on_table),
            "findings_by_rule": rules,
            "exit_code": self.exit_code,
        }


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a batch job.

    A 100,000-line sheet keeps about two million cell objects alive, and every collection
    walks all of them; the scrub creates no reference cycles worth collecting, and reference
    counting still frees everything, so collections only cost time here (measured: ~5x on
    building the lines).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def scrub_sheet(sheet: RawSheet, ref: Reference | None = None, as_of: date | None = None,
                column_map: dict[str, str] | None = None) -> ScrubResult:
    """Scrub rows already read from a file (or built in memory, as the Excel macro does)."""
    with cyclic_gc_paused():
        return _scrub(sheet, ref, as_of, column_map)


def _scrub(sheet: RawSheet, ref: Reference | None, as_of: date | None,
           column_map: dict[str, str] | None) -> ScrubResult:
    ref = ref or load_reference()
    as_of = as_of or date.today()
    if sheet.header_index is None:
        raise UsageError(f"{sheet.source}: the sheet is empty (no header row)")
    layout = locate(sheet.rows, str(sheet.source), column_map)
    header_index = layout.header_index
    data = sheet.rows[header_index + 1:]
    prepared = prepare(layout, data, ref, sheet.row_notes)
    parser = LineParser(layout.columns, frozenset(k for table in ref.gpcis.values() for k in table.rows),
                        float(ref.constant("max_minutes_per_line")), int(ref.constant("max_units_per_line")),
                        decimal_comma=sheet.decimal_comma)
    lines = parser.parse_rows(sheet.rows, header_index + 1, prepared.cells, set(prepared.not_lines))
    by_row = {line.row: line for line in lines}
    for i, notes in prepared.assumed.items():
        line = by_row.get(header_index + 2 + i)
        if line is not None:
            line.assumed = tuple(notes)
    ctx = ScrubContext(ref, lines, set(layout.columns), as_of)
    findings = [finding for rule in all_rules() for finding in rule.check(ctx)]
    findings.sort(key=sort_key)
    dates = [line.dos for line in lines if ctx.judgeable(line)]
    versions = data_versions(ref, max(dates) if dates else as_of)
    pricing = sorted({f for basis in ctx.pricing_bases for f in basis.fallbacks})
    versions["fallbacks"] = sorted(set(versions["fallbacks"]) | set(pricing))
    expected = ctx.expected_units_by_row()
    reading = describe_layout(layout, prepared, header_index + 1)
    if sheet.notes:
        reading["source_problems"] = sheet.notes
    not_lines = {header_index + 2 + i: why for i, why in prepared.not_lines.items()}
    return ScrubResult(sheet, header_index, layout.columns, lines, findings, expected, as_of, versions,
                       reading, not_lines, blank_rows=parser.blank_rows)


def read_charge_sheet(path: str | Path, sheet: str | None = None,
                      column_map: dict[str, str] | None = None) -> RawSheet:
    """The charge sheet of a file: --sheet, else `Charges` when the workbook has one, else the first
    sheet with a header that names the required fields."""
    path = Path(path)
    if path.is_file() and looks_like_x12(path):
        from ..claims.read837 import read_837  # pyx12 is imported only for claim files

        claims, problems = read_837(path)
        claims.notes.extend(problems)
        return claims
    if sheet is not None or path.suffix.lower() not in EXCEL_SUFFIXES or not path.is_file():
        return read_sheet(path, sheet)
    names = sheet_names(path)
    if "Charges" in names:
        return read_sheet(path, "Charges")
    problems = []
    for name in names:
        candidate = read_sheet(path, name)
        try:
            locate(candidate.rows, str(path), column_map)
            return candidate
        except UsageError as exc:
            problems.append(f"{name!r}: {str(exc).split(': ', 1)[-1]}")
    if len(names) == 1:
        return read_sheet(path, names[0])  # its own error says what its rows hold
    raise UsageError(f"{path}: no sheet has a charge-sheet header ({' | '.join(problems)[:600]}); "
                     "choose one with --sheet")


def scrub_file(path: str | Path, sheet: str | None = None, as_of: date | None = None,
               ref: Reference | None = None, column_map: dict[str, str] | None = None) -> ScrubResult:
    with cyclic_gc_paused():
        return scrub_sheet(read_charge_sheet(path, sheet, column_map), ref, as_of, column_map)

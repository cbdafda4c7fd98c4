"""The annotated workbook: the input sheet with three added columns and highlighted cells,
a `Scrub Report` sheet (one row per finding) and a `Scrub Summary` sheet with a chart.

XlsxWriter writes the workbook in constant-memory mode; the rows of the copy and of the report, nearly all
its cells, are written into it as XML by sheet_xml, cell by cell as XlsxWriter would (its methods, ~10x
faster). User text is always written as text, never as a formula.
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path

import xlsxwriter

from ..errors import UsageError
from ..safe_write import atomic_save
from .columns import OUTPUT_HEADERS
from .findings import LINE_STATUS_ORDER, Finding
from .reader import column_number_formats
from .report import (LEFT_ON_THE_TABLE, NOT_A_LINE, REPORT_HEADERS, added_columns, counted, link_to_line,
                     reading_rows)
from .runner import ScrubResult
from .rules import REGISTRY
from .sheet_xml import MAX_CELL, SheetRows, SplicedSheet, splice_rows, write_probe

REPORT_SHEET, SUMMARY_SHEET = "Scrub Report", "Scrub Summary"
VERSION_LABELS = {"reference": "reference folder", "as_of": "tables in force on (latest date of service)",
                  "ptp": "NCCI PTP edits", "mue": "MUE table", "gpci": "GPCIs", "kx_threshold": "KX threshold"}
FILLS = {"error": ("#FFC7CE", "#9C0006"), "warning": ("#FFEB9C", "#7F6000"), "info": ("#DDEBF7", "#1F4E79"),
         "no_data": ("#E7E6E6", "#3A3838")}
STATUS_FILL = {"ERROR": "error", "WARN": "warning", "INFO": "info", "NO_DATA": "no_data", NOT_A_LINE: "no_data"}
NUMERIC_COLUMNS = ("units", "minutes", "pta_minutes", "charge", "ytd_prior")
MONEY = "$#,##0.00"
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def sheet_title(name: str) -> str:
    title = _BAD_SHEET_CHARS.sub("_", name).strip("'")[:31] or "Charges"
    return "Charges" if title in (REPORT_SHEET, SUMMARY_SHEET) else title


def own_width(result: ScrubResult) -> int:
    """Columns that belong to the input: up to the last filled one in any row, less an earlier scrub's
    three columns when the header ends with exactly those (a user column named `Findings` stays)."""
    width = 0
    for row in result.sheet.rows:
        for index in range(len(row) - 1, width - 1, -1):
            value = row[index]
            if value is not None and value != "":
                width = index + 1
                break
    header = [str(v).strip() if v is not None else "" for v in result.sheet.rows[result.header_index][:width]]
    own = len(OUTPUT_HEADERS)
    if width >= own and tuple(header[width - own:width]) == OUTPUT_HEADERS:
        return width - own
    return width


class _Formats:
    def __init__(self, book: xlsxwriter.Workbook) -> None:
        self.book = book
        self._cache: dict[tuple, object] = {}
        self.header = book.add_format({"bold": True, "bg_color": "#D9E1F2", "bottom": 1, "text_wrap": False})
        self.title = book.add_format({"bold": True, "font_size": 14})
        self.bold = book.add_format({"bold": True})
        self.money = book.add_format({"num_format": MONEY, "valign": "top"})
        self.wrap = book.add_format({"text_wrap": True, "valign": "top"})
        self.top = book.add_format({"valign": "top"})
        self.header_number = book.add_format({"bold": True, "bg_color": "#D9E1F2", "bottom": 1, "align": "right"})
        self.left_number = book.add_format({"align": "left"})

    def cell(self, kind: str, fill: str | None = None, user_format: str | None = None) -> object:
        key = (kind, fill, user_format)
        if key not in self._cache:
            spec: dict = {}
            spec["valign"] = "top"  # wrapped neighbours (the report's message and fix) grow downwards
            if user_format and kind in ("date", "datetime", "number", "duration"):
                spec["num_format"] = user_format  # the user's own format for this column
            elif kind == "date":
                spec["num_format"] = "yyyy-mm-dd"
            elif kind == "datetime":
                spec["num_format"] = "yyyy-mm-dd hh:mm"
            elif kind == "duration":
                spec["num_format"] = "[h]:mm:ss"
            elif kind == "money":
                spec["num_format"] = MONEY
            if fill:
                spec["bg_color"], spec["font_color"] = FILLS[fill]
            self._cache[key] = self.book.add_format(spec)
        return self._cache[key]


def _print_layout(ws: object, header_row: int | None) -> None:
    """US letter, landscape, one page wide, header row repeated: billing staff print these."""
    ws.set_paper(1)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    if header_row is not None:
        ws.repeat_rows(header_row)


def _write_value(ws: object, row: int, col: int, value: object, formats: _Formats, fill: str | None,
                 numeric: bool, user_format: str | None = None) -> None:
    """Any cell, typed, with the highlight `fill` (or none) and the user's number format of its column."""
    plain = formats.cell("text", fill)
    if value.__class__ is str and value and not numeric:  # most cells: text as it is
        ws.write_string(row, col, value[:MAX_CELL], plain)
        return
    if value is None or value == "":
        if fill:
            ws.write_blank(row, col, None, plain)
        return
    if isinstance(value, bool):
        ws.write_boolean(row, col, value, plain)
    elif isinstance(value, (int, float)) and not math.isfinite(value):
        ws.write_string(row, col, str(value), plain)  # nan, inf: shown as the text they are
    elif isinstance(value, (int, float)):
        ws.write_number(row, col, value, formats.cell("number", fill, user_format) if user_format else plain)
    elif isinstance(value, datetime):
        kind = "date" if value.time() == time() else "datetime"
        ws.write_datetime(row, col, value, formats.cell(kind, fill, user_format))
    elif isinstance(value, date):
        ws.write_datetime(row, col, value, formats.cell("date", fill, user_format))
    elif isinstance(value, (time, timedelta)):  # a time or duration cell (minutes as 0:15): kept one
        ws.write_datetime(row, col, value, formats.cell("duration", fill, user_format))
    else:
        text = str(value)
        if numeric:
            try:
                number = float(text)
                if math.isfinite(number):
                    ws.write_number(row, col, number, plain)
                    return
            except ValueError:
                pass
        ws.write_string(row, col, text[:MAX_CELL], plain)


def _worst_fill(findings: list[Finding], columns: dict[str, int]) -> dict[int, str]:
    """Column -> fill of the most serious failing finding on that cell of the row."""
    order = ("error", "warning", "no_data", "info")
    fills: dict[int, str] = {}
    for finding in findings:
        if finding.status == "bypassed" or finding.field not in columns:
            continue
        kind = "no_data" if finding.status == "no_data" else finding.severity
        col = columns[finding.field]
        if col not in fills or order.index(kind) < order.index(fills[col]):
            fills[col] = kind
    return fills


KINDS = ("text", "number", "date", "datetime", "duration")


def _copy_formats(formats: _Formats, user: dict[int, str]) -> list[object]:
    """Every format a cell of the copy can take (the probe row's): the header's, and each kind of value with
    each highlight, in the column's own number format or none."""
    own = [None, *sorted(set(user.values()))]
    return [formats.header] + [formats.cell(kind, fill, code) for kind in KINDS for fill in (None, *FILLS)
                               for code in own]


def _column_widths(result: ScrubResult, width: int) -> list[int]:
    """Each input column wide enough for its values in the header and the 200 rows under it (at most 40)."""
    widths = [10] * width
    for row in result.sheet.rows[:result.header_index + 200]:
        for c, value in enumerate(row[:width]):
            if value not in (None, ""):
                widths[c] = max(widths[c], min(len(str(value)) + 2, 40))
    return widths


def _write_copy_frame(ws: object, result: ScrubResult, width: int, probe: list[object]) -> None:
    """The copy's sheet but for its cells: the probe row (sheet_xml), columns, panes, filter, printing."""
    write_probe(ws, probe)
    for c, w in enumerate(_column_widths(result, width)):
        ws.set_column(c, c, w)
    ws.set_column(width, width, 11)
    ws.set_column(width + 1, width + 1, 90)
    ws.set_column(width + 2, width + 2, 14)
    header = result.header_index
    ws.freeze_panes(header + 1, 0)
    ws.autofilter(header, 0, max(header, len(result.sheet.rows) - 1), width + 2)
    _print_layout(ws, header)


def _write_copy_rows(ws: SheetRows, result: ScrubResult, formats: _Formats, width: int, user: dict[int, str],
                     part: range) -> None:
    """The input's rows (those in `part`), cell by cell, typed and highlighted, with the three added columns."""
    numeric = {i for name, i in result.columns.items() if name in NUMERIC_COLUMNS}
    header = result.header_index
    number_formats = {c: formats.cell("number", None, code) for c, code in user.items()}
    date_formats = {c: formats.cell("date", None, user.get(c)) for c in range(width)}
    status_formats = {status: formats.cell("text", STATUS_FILL.get(status)) for status in (*LINE_STATUS_ORDER,
                                                                                               NOT_A_LINE)}
    text_format = formats.cell("text")  # a highlighted row's plain text (a clean row's text has no format)
    rows = result.sheet.rows
    for r in part:
        row = rows[r]
        if r == header:
            cells = [str(v) if v is not None else "" for v in row[:width]]
            ws.write_row(r, 0, cells + [""] * (width - len(cells)) + list(OUTPUT_HEADERS), formats.header)
            continue
        findings = result.by_row.get(r + 1) if r > header else None
        if findings:  # the highlighted cells and odd values here, the others by their kinds (sheet_xml)
            fills = _worst_fill(findings, result.columns)
            ws.write_values(r, row[:width], number_formats, date_formats, numeric,
                            lambda c, value, r=r, fills=fills: _write_value(ws, r, c, value, formats, fills.get(c),
                                                                            c in numeric, user.get(c)),
                            plain=text_format, special=fills)
        else:
            ws.write_values(r, row[:width], number_formats, date_formats, numeric,
                            lambda c, value, r=r: _write_value(ws, r, c, value, formats, None, False, user.get(c)))
        filled = r > header and any(v is not None and v != "" for v in row)
        status, said, expected = added_columns(result, r + 1, filled)
        if status is not None:
            ws.write_string(r, width, status, status_formats[status])
        if said is not None:
            ws.write_string(r, width + 1, said[:MAX_CELL])
        if expected is not None:
            ws.write_number(r, width + 2, expected)


URL_LIMIT = 65_000  # hyperlinks written as links; Excel (and XlsxWriter) stop at 65,530 a sheet
REPORT_WIDTHS = (6, 9, 30, 9, 10, 70, 45, 14, 11, 11, 7, 45)
LINE_HEIGHT = 15  # points per line of wrapped 11-point text


def _wrapped_height(finding: Finding) -> float:
    """A row tall enough for its wrapped message, fix and source (about 1.1 characters per width unit)."""
    lines = max(-(-len(text) // int(REPORT_WIDTHS[col] * 1.1)) for col, text in
                ((5, finding.message[:2000]), (6, finding.fix), (11, finding.source)))
    return LINE_HEIGHT * max(1, min(lines, 27))


def _report_formats(book: xlsxwriter.Workbook, formats: _Formats) -> list[object]:
    """Every format a cell of the report takes (its probe row's)."""
    return [formats.header, formats.top, book.get_default_url_format(), formats.wrap, formats.money,
            formats.cell("date"), *(formats.cell("text", fill) for fill in FILLS)]


def _write_report_frame(ws: object, result: ScrubResult, probe: list[object]) -> None:
    """The report's sheet but for its cells: the probe row (sheet_xml), columns, panes, filter, printing."""
    write_probe(ws, probe)
    for col, width in enumerate(REPORT_WIDTHS):
        ws.set_column(col, col, width)
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(len(result.findings), 1), len(REPORT_HEADERS) - 1)
    _print_layout(ws, 0)


def _write_report_rows(ws: SheetRows, result: ScrubResult, formats: _Formats, url_format: object,
                       copy_title: str, part: range) -> None:
    """The header and a row per finding (those in `part`), its first cell a link to the line in the copy."""
    quoted_title = copy_title.replace("'", "''")  # Excel doubles an apostrophe inside a quoted sheet name
    for r in part:
        if r == 0:
            ws.write_row(0, 0, REPORT_HEADERS, formats.header)
            continue
        finding = result.findings[r - 1]
        fill = "no_data" if finding.status == "no_data" else finding.severity
        ws.set_row(r, _wrapped_height(finding), formats.top)
        if r <= URL_LIMIT:
            ws.write_url(r, 0, f"'{quoted_title}'!A{finding.row}", str(finding.row), url_format)
        else:  # Excel keeps 65,530 hyperlinks a sheet: past that, a HYPERLINK formula links just the same
            ws.write_formula(r, 0, link_to_line(copy_title, finding.row), finding.row)
        ws.write_string(r, 1, finding.rule)
        ws.write_string(r, 2, finding.name)
        ws.write_string(r, 3, finding.severity, formats.cell("text", fill))
        ws.write_string(r, 4, finding.status.replace("_", " "))
        ws.write_string(r, 5, finding.message[:MAX_CELL], formats.wrap)
        ws.write_string(r, 6, finding.fix, formats.wrap, repeats=True)
        if finding.amount_at_risk is not None:
            ws.write_number(r, 7, float(finding.amount_at_risk), formats.money)
        if finding.patient_id is not None:
            ws.write_string(r, 8, finding.patient_id)
        if finding.dos is not None:
            ws.write_datetime(r, 9, finding.dos, formats.cell("date"))
        if finding.cpt is not None:
            ws.write_string(r, 10, finding.cpt)
        ws.write_string(r, 11, finding.source, formats.wrap, repeats=True)


def _write_summary(book: xlsxwriter.Workbook, result: ScrubResult, formats: _Formats) -> None:
    summary = result.summary()
    ws = book.add_worksheet(SUMMARY_SHEET)
    _print_layout(ws, None)
    ws.set_column(0, 0, 44)
    ws.set_column(1, 1, 62)
    ws.set_column(2, 5, 11)
    ws.set_column(6, 6, 15)
    ws.write_string(0, 0, "ptcalc scrub summary", formats.title)
    statuses = summary["lines_by_status"]
    verdict = ("Clean: no errors, warnings or unjudged lines" if summary["clean"] else
               f"Needs attention: {counted(statuses['ERROR'], 'line')} with errors, {statuses['WARN']} with warnings, "
               f"{statuses['NO_DATA']} that could not be judged")
    ws.activate()  # the workbook opens here: the verdict first, the lines one click away
    rows = [("File", summary["source"]), ("Sheet", summary["sheet"]), ("Dates judged as of", summary["as_of"]),
            ("Lines scrubbed", summary["lines"]), ("Blank rows (kept, not judged)", summary["blank_rows"]),
            ("Totals and footer rows (kept, not judged)", summary["not_claim_lines"]),
            ("Result", verdict)]
    r = 2
    for label, value in rows:
        ws.write_string(r, 0, label, formats.bold)
        ws.write(r, 1, value, formats.left_number)
        r += 1
    r += 1
    if result.reading:
        ws.write_row(r, 0, ("How the sheet was read", ""), formats.header)
        for label, value in reading_rows(result):
            r += 1
            ws.write_string(r, 0, label)
            if value:
                ws.write_string(r, 1, value)
        r += 2
    ws.write_string(r, 0, "Dollars at risk (errors and warnings)", formats.bold)
    ws.write_number(r, 1, summary["dollars_at_risk"], formats.money)
    ws.write_string(r, 2, "   each flagged line counted once")
    ws.write_string(r + 1, 0, f"Dollars left on the table ({LEFT_ON_THE_TABLE})", formats.bold)
    ws.write_number(r + 1, 1, summary["dollars_left_on_table"], formats.money)
    r += 3
    ws.write_string(r, 0, "Lines by status", formats.header)
    ws.write_string(r, 1, "Lines", formats.header_number)
    for offset, (status, count) in enumerate(statuses.items(), start=1):
        ws.write_string(r + offset, 0, status, formats.cell("text", STATUS_FILL.get(status)))
        ws.write_number(r + offset, 1, count)
    r += len(statuses) + 2
    ws.write_string(r, 0, "Findings by rule", formats.bold)
    ws.write_string(r, 1, "counts are findings; a line two rules flag is in both rows")
    r += 1
    table_top = r
    ws.write_row(r, 0, ("Rule", "What to do", "Severity"), formats.header)
    ws.write_row(r, 3, ("Failed", "Bypassed", "No data", "Dollars flagged"), formats.header_number)
    for entry in summary["findings_by_rule"]:
        r += 1
        fix = REGISTRY[entry["rule"]].fix
        ws.set_row(r, LINE_HEIGHT * max(1, -(-len(fix) // 80)), formats.top)
        ws.write_string(r, 0, f"{entry['rule']} {REGISTRY[entry['rule']].name}")
        ws.write_string(r, 1, fix, formats.wrap)
        ws.write_string(r, 2, entry["severity"], formats.cell("text", entry["severity"]))
        ws.write_number(r, 3, entry["fail"])
        ws.write_number(r, 4, entry["bypassed"])
        ws.write_number(r, 5, entry["no_data"])
        ws.write_number(r, 6, entry["amount_at_risk"], formats.money)
    if not summary["findings_by_rule"]:
        r += 1
        ws.write_string(r, 0, "No findings")
    if summary["findings_by_rule"]:
        most = max(e["fail"] + e["bypassed"] + e["no_data"] for e in summary["findings_by_rule"])
        _chart(book, ws, table_top, r, most)
    r += 2
    ws.write_row(r, 0, ("Reference data used", ""), formats.header)
    for key, value in result.versions.items():
        if key == "fallbacks":
            for note in value or ["none"]:
                r += 1
                ws.write_string(r, 0, "fallback")
                ws.write_string(r, 1, note)
            continue
        r += 1
        ws.write_string(r, 0, VERSION_LABELS.get(key, key.replace("_", " ")))
        ws.write_string(r, 1, str(value))


def _chart(book: xlsxwriter.Workbook, ws: object, top: int, bottom: int, most: int) -> None:
    chart = book.add_chart({"type": "bar", "subtype": "stacked"})
    for col, name, color in ((3, "Failed", "#C00000"), (4, "Bypassed (review)", "#5B9BD5"),
                             (5, "No data", "#A5A5A5")):
        chart.add_series({
            "name": name, "categories": [SUMMARY_SHEET, top + 1, 0, bottom, 0],
            "values": [SUMMARY_SHEET, top + 1, col, bottom, col], "fill": {"color": color}, "gap": 60,
        })
    chart.set_title({"name": "Findings by rule"})
    step = max(1, -(-most // 8))  # whole lines, at most about eight gridlines
    chart.set_x_axis({"name": "Findings", "min": 0, "major_unit": step, "num_format": "0",
                      "major_gridlines": {"visible": True}})
    chart.set_y_axis({"reverse": True})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 640, "height": max(260, 60 + 28 * (bottom - top))})
    ws.insert_chart(1, 7, chart)


EXCEL_ROWS, EXCEL_COLUMNS = 1_048_576, 16_384


def write_xlsx(result: ScrubResult, target: Path, tick: Callable[[int], None] = lambda n: None) -> None:
    """The annotated workbook; refused (never cut) when the sheet or the report is beyond Excel's size."""
    width = own_width(result) + len(OUTPUT_HEADERS)
    if len(result.sheet.rows) > EXCEL_ROWS or width > EXCEL_COLUMNS or len(result.findings) + 1 > EXCEL_ROWS:
        raise UsageError(f"{result.sheet.source}: {len(result.sheet.rows):,} rows, {width:,} columns and "
                         f"{len(result.findings):,} findings do not fit an Excel sheet ({EXCEL_ROWS:,} rows, "
                         f"{EXCEL_COLUMNS:,} columns); use --format csv or --format json")

    def save(temp: str) -> None:
        drafted = f"{temp}.xlsxwriter"  # XlsxWriter's workbook: the copy and the report hold a probe row only
        try:
            book = xlsxwriter.Workbook(drafted, {"constant_memory": True, "strings_to_formulas": False,
                                                 "strings_to_urls": False, "strings_to_numbers": False})
            formats = _Formats(book)
            title = sheet_title(result.sheet.sheet_name)
            copy_width = own_width(result)
            user = column_number_formats(result.sheet, result.header_index + 2)
            copy_probe, report_probe = _copy_formats(formats, user), _report_formats(book, formats)
            _write_copy_frame(book.add_worksheet(title), result, copy_width, copy_probe)
            _write_report_frame(book.add_worksheet(REPORT_SHEET), result, report_probe)
            _write_summary(book, result, formats)
            book.close()
            copy = SplicedSheet("xl/worksheets/sheet1.xml", copy_probe,
                                (max(len(result.sheet.rows) - 1, result.header_index), copy_width + 2),
                                lambda rows, part: _write_copy_rows(rows, result, formats, copy_width, user, part),
                                tick)
            report = SplicedSheet("xl/worksheets/sheet2.xml", report_probe,
                                  (len(result.findings), len(REPORT_HEADERS) - 1),
                                  lambda rows, part: _write_report_rows(rows, result, formats, report_probe[2], title,
                                                                        part))
            splice_rows(Path(drafted), Path(temp), [copy, report])
        finally:
            Path(drafted).unlink(missing_ok=True)

    atomic_save(target, save, inputs=(result.sheet.source,))

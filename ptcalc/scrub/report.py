"""Scrub outputs as text: the JSON document (deterministic) and the CSV report (formula-safe)."""
from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from .findings import LINE_STATUS_ORDER, Finding, line_status
from .layout import format_reading
from .runner import ScrubResult

REPORT_COLUMNS = ("row", "rule", "name", "severity", "status", "message", "fix", "amount_at_risk",
                  "patient_id", "dos", "cpt", "source")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
try:
    from orjson import dumps as _encode
except ImportError:  # xlwings Lite (Pyodide) has no orjson wheel: the same bytes, slower
    _STANDARD = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))

    def _encode(value: object) -> bytes:
        return _STANDARD.encode(value).encode("utf-8")


REPORT_HEADERS = ("Row", "Rule", "Name", "Severity", "Status", "Message", "Fix", "Amount at risk", "Patient", "DOS",
                  "CPT", "Source")


NOT_A_LINE = "NOT A LINE"  # the status of a row kept in place but not judged (a total, a reversal, a footer)


def finding_text(finding: Finding) -> str:
    status = "" if finding.status == "fail" else f" ({finding.status.replace('_', ' ')})"
    return f"{finding.rule}{status} {finding.message}"


def added_columns(result: ScrubResult, number: int, filled: bool) -> tuple[str | None, str | None, int | None]:
    """The three columns the scrub adds to the sheet's row `number` (1-based; `filled`: it holds a value), as the
    annotated copy and the Excel macro write them: its status, its findings in words (bypassed and no-data ones
    said so), the units it should carry. A row kept but not judged says why; a blank row gets nothing."""
    if number in result.not_lines:
        return NOT_A_LINE, f"not a claim line ({result.not_lines[number]}): kept, not judged", None
    if not filled:
        return None, None, None
    findings = result.by_row.get(number)
    if not findings:
        return "CLEAN", None, result.expected_units.get(number)
    return line_status(findings), "; ".join(map(finding_text, findings)), result.expected_units.get(number)


def added_columns_of_file_rows(result: ScrubResult, filled_rows: list[bool]) -> list[tuple[object, object, object]]:
    """added_columns for each row of the file below the header (`filled_rows[i]`: row i + 1 holds a value), as the
    Excel macro writes them beside the file's own rows. A sheet reshaped into a line per code (a visit per row, a
    grid) has several lines to a row: the row gets its most serious status, each line's findings named by its code,
    and each code's expected units."""
    first = result.header_index + 2
    if not result.sheet.reshaped:
        return [added_columns(result, number, filled_rows[number - 1]) for number in range(first, len(filled_rows) + 1)]
    lines_of: dict[int, list[int]] = {}
    for line_row, file_row in result.sheet.source_rows.items():
        lines_of.setdefault(file_row, []).append(line_row)
    code_of = {line.row: line.cpt for line in result.lines}
    columns = []
    for number in range(first, len(filled_rows) + 1):
        said = [(code_of.get(row), added_columns(result, row, True)) for row in lines_of.get(number, ())]
        judged = [(code, added) for code, added in said if added[0] != NOT_A_LINE]
        if not filled_rows[number - 1] or not said:
            columns.append((None, None, None))
        elif not judged or len(said) == 1:
            columns.append(said[0][1])
        else:
            status = min((added[0] for _, added in judged), key=LINE_STATUS_ORDER.index)
            findings = "; ".join(f"{code}: {added[1]}" for code, added in judged if added[1])
            expected = ", ".join(f"{code} {added[2]}" for code, added in judged if added[2] is not None)
            columns.append((status, findings or None, expected or None))
    return columns


def report_rows(result: ScrubResult) -> list[list[object]]:
    """One row per finding, under REPORT_HEADERS (the Excel macro's `Scrub Report` sheet), each naming its row of the
    sheet the macro writes beside (a reshaped sheet's line: the row it comes from)."""
    return [[result.sheet.source_rows.get(f.row, f.row), f.rule, f.name, f.severity, f.status.replace("_", " "),
             f.message, f.fix,
             float(f.amount_at_risk) if f.amount_at_risk is not None else None, f.patient_id, f.dos, f.cpt, f.source]
            for f in result.findings]


LEFT_ON_THE_TABLE = "units not billed, fees below the allowed amount"  # what the info findings' dollars are


def link_to_line(sheet_title: str, row: int) -> str:
    """A HYPERLINK formula (without its `=`) to the line's row of the sheet titled `sheet_title`, showing the row."""
    quoted = sheet_title.replace("'", "''")  # Excel doubles an apostrophe inside a quoted sheet name
    target = f"#'{quoted}'!A{row}".replace('"', '""')  # a string inside a formula
    return f'HYPERLINK("{target}","{row}")'


def reading_rows(result: ScrubResult) -> list[list[str | None]]:
    """How the sheet was read, as label/value rows: a field beside the column it was read from, the reading's
    other lines (title rows, columns not used, defaults) whole."""
    rows: list[list[str | None]] = []
    for text in format_reading(result.reading).splitlines() if result.reading else ():
        label, _, value = text.strip().partition(" <- ")
        rows.append([label.strip(), value] if value else [text.strip(), None])
    return rows


def summary_rows(result: ScrubResult) -> list[list[object]]:
    """The `Scrub Summary` as label/value rows and a findings-by-rule table (for the Excel macro)."""
    summary = result.summary()
    rows: list[list[object]] = [["ptcalc scrub summary", None], ["As of", summary["as_of"]],
                                ["Lines scrubbed", summary["lines"]], ["Clean", "yes" if summary["clean"] else "no"],
                                ["Dollars at risk (errors and warnings)", summary["dollars_at_risk"]],
                                [f"Dollars left on the table ({LEFT_ON_THE_TABLE})", summary["dollars_left_on_table"]],
                                [None, None], ["Lines by status", "Lines"]]
    rows += [[status, count] for status, count in summary["lines_by_status"].items()]
    if result.reading:
        rows += [[None, None], ["How the sheet was read", None], *reading_rows(result)]
    rows += [[None, None], ["Rule", "Failed", "Bypassed", "No data", "Amount at risk"]]
    rows += [[f"{e['rule']} {e['name']}", e["fail"], e["bypassed"], e["no_data"], e["amount_at_risk"]]
             for e in summary["findings_by_rule"]]
    rows += [[None, None], ["Reference data used", None]]
    for key, value in result.versions.items():
        for item in (value if isinstance(value, list) else [value]):
            rows.append([key.replace("_", " "), str(item)])
    width = max(len(r) for r in rows)
    return [r + [None] * (width - len(r)) for r in rows]


def json_parts(result: ScrubResult) -> Iterator[bytes]:
    """`{"findings": [...], "summary": {...}, "reading": {...}, "data_versions": {...}}` in UTF-8 pieces,
    one finding per line, so a large report is written without being built whole; `reading` says how
    the sheet was read (header, which column is which field, defaults).

    Same input, same as-of date, same reference data: the same bytes (orjson where it is installed,
    the standard library's encoder with the same separators elsewhere, e.g. xlwings Lite).
    """
    yield b'{"findings": ['
    for start in range(0, len(result.findings), 2000):
        batch = result.findings[start:start + 2000]
        yield (b"\n" if start == 0 else b",\n") + b",\n".join(_encode(_record(f, result)) for f in batch)
    yield b"\n]" if result.findings else b"]"
    for key, value in (("summary", result.summary()), ("reading", result.reading), ("data_versions", result.versions)):
        yield f',\n"{key}": {json.dumps(value, indent=2, ensure_ascii=False)}'.encode()
    yield b"\n}\n"


def to_json(result: ScrubResult) -> str:
    return b"".join(json_parts(result)).decode("utf-8")


def write_json(result: ScrubResult, path: Path) -> None:
    with open(path, "wb") as handle:
        handle.writelines(json_parts(result))


def escape_formula(value: object) -> object:
    """Text a spreadsheet would run as a formula gets a leading apostrophe (OWASP CSV injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _record(finding: Finding, result: ScrubResult) -> dict:
    """A finding as the json and csv outputs give it: on a sheet reshaped into lines (a visit per row), with the
    row of the file its line comes from."""
    record = finding.as_dict()
    if result.sheet.source_rows:
        record["source_row"] = result.sheet.source_rows.get(finding.row)
    return record


def csv_field(text: str) -> str:
    """`text` as one CSV field (RFC 4180): quoted, its quotes doubled, when it holds a comma, a quote or a line
    break. csv.writer's minimal quoting, but for a bare carriage return, which Python 3.11's writer leaves
    unquoted (3.12 quotes it too) and which would end the record for most readers."""
    if "," in text or '"' in text or "\n" in text or "\r" in text:
        return '"' + text.replace('"', '""') + '"'
    return text


def _csv_records(result: ScrubResult) -> Iterator[str]:
    """The report's CSV records, header first, each ending in a line feed.

    csv.writer quoted a heavy sheet's findings (~300 characters each, mostly messages and sources) at 8-14 us
    a record (0.5-0.9 s for 61,000 findings); a rule's name, fix and source, a patient, a date and a code
    repeat from finding to finding, so each of those is escaped once and then looked up."""
    source_rows = result.sheet.source_rows
    yield ",".join(REPORT_COLUMNS + (("source_row",) if source_rows else ())) + "\n"
    seen: dict[object, str] = {None: ""}

    def repeated(value: object) -> str:
        text = seen.get(value)
        if text is None:
            text = seen[value] = csv_field(escape_formula(value if isinstance(value, str) else str(value)))
        return text

    for f in result.findings:
        amount = "" if f.amount_at_risk is None else repr(float(f.amount_at_risk))
        fields = [str(f.row), repeated(f.rule), repeated(f.name), repeated(f.severity),
                  repeated(f.status), csv_field(escape_formula(f.message)),
                  repeated(f.fix), amount, repeated(f.patient_id), repeated(f.dos), repeated(f.cpt),
                  repeated(f.source)]
        if source_rows:
            row = source_rows.get(f.row)
            fields.append("" if row is None else str(row))
        yield ",".join(fields) + "\n"


def _write_csv(result: ScrubResult, handle: TextIO) -> None:
    handle.writelines(_csv_records(result))


def to_csv(result: ScrubResult) -> str:
    buffer = io.StringIO()
    _write_csv(result, buffer)
    return buffer.getvalue()


def write_csv(result: ScrubResult, path: Path) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        _write_csv(result, handle)


def counted(count: int, noun: str) -> str:
    """`1 line`, `2 lines`."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def format_summary(result: ScrubResult) -> str:
    """The summary for a terminal: lines by status, money, and the rules that fired."""
    summary = result.summary()
    statuses = ", ".join(f"{n} {s}" for s, n in summary["lines_by_status"].items() if n)
    lines = [format_reading(result.reading)] if result.reading else []
    lines += [f"{counted(summary['lines'], 'line')} of {summary['source']}: {statuses or 'none'}"
             + ("" if not summary["blank_rows"] else f" (+{counted(summary['blank_rows'], 'blank row')} kept)"),
             f"${summary['dollars_at_risk']:,.2f} at risk in errors and warnings (each line counted once, however "
             f"many rules flag it); ${summary['dollars_left_on_table']:,.2f} left on the table ({LEFT_ON_THE_TABLE})"]
    if not summary["clean"] and summary["no_data"]:
        count = summary["no_data"]
        lines.append(f"{counted(count, 'line')} could not be judged (no_data): the sheet is not clean")
    for entry in summary["findings_by_rule"]:
        counts = ", ".join(f"{entry[k]} {k.replace('_', ' ')}" for k in ("fail", "bypassed", "no_data") if entry[k])
        money = f"  ${entry['amount_at_risk']:,.2f}" if entry["amount_at_risk"] else ""
        lines.append(f"  {entry['rule']} {entry['name']:<38} {entry['severity']:<8} {counts}{money}")
    if summary["findings_by_rule"]:
        lines.append("  (per rule: findings, and the dollars of the lines each rule flags)")
    lines.append(f"Reference data: {result.versions.get('reference')}")
    return "\n".join(lines)

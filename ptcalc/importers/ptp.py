"""NCCI practitioner PTP edits -> `ptp.yaml`, from either of two layouts.

- CMS's own files (`ccipra-v302r0-f1.TXT` … `f4`): tab-delimited text (or the same columns as
  CSV) after a copyright line and a wrapped header block: Column 1, Column 2, `*` (in existence
  prior to 1996), effective date YYYYMMDD, deletion date YYYYMMDD or `*`, modifier indicator
  0/1/9, rationale.
- The CSV extract `ncci_ptp_practitioner_YYYY-MM…csv` (header `column_1, column_2,
  deletion_date, modifier_indicator, ptp_edit_rationale`): no effective date, so its rows are
  judged as in force from the start until their deletion date.

Rows are kept when both codes are in the code set (`codes.yaml`); deleted edits are kept with
their deletion date (the last day the edit was in force, CMS's convention: an edit deleted from
January 1 carries December 31), so every date of service is judged by the edits of its day.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

from ..errors import UsageError
from .common import ImportResult, is_code, pt_code_set, read_csv_records, write

_VERSION = re.compile(r"v(\d{2})(\d)r(\d)", re.I)
_EXTRACT_MONTH = re.compile(r"(\d{4})-(\d{2})")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


def _date(text: str, path: Path, line: int, field: str) -> date | None:
    text = text.strip()
    if text in ("", "*"):
        return None
    if not (len(text) == 8 and text.isascii() and text.isdigit()):
        raise UsageError(f"{path}:{line}: {field} {text[:20]!r} is not a date written YYYYMMDD")
    try:
        return datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        raise UsageError(f"{path}:{line}: {field} {text!r} is not a date written YYYYMMDD") from None


def _indicator(text: str, path: Path, line: int) -> int:
    if text not in ("0", "1", "9"):
        raise UsageError(f"{path}:{line}: modifier indicator {text!r} is not 0, 1 or 9")
    return int(text)


def _cms_rows(path: Path, records: list[list[str]], codes: set[str]) -> list[dict]:
    """CMS's own layout: effective and deletion dates, indicator in the sixth column."""
    rows = []
    for line, record in enumerate(records, start=1):
        cells = [c.strip() for c in record]
        if len(cells) < 6 or not (is_code(cells[0]) and is_code(cells[1])):
            continue
        if cells[0] not in codes or cells[1] not in codes:
            continue
        effective = _date(cells[3], path, line, "effective date")
        if effective is None:
            raise UsageError(f"{path}:{line}: no effective date")
        rows.append({"column1": cells[0], "column2": cells[1],
                     "modifier_indicator": _indicator(cells[5], path, line), "effective_from": effective,
                     "deleted": _date(cells[4], path, line, "deletion date"),
                     **({"rationale": cells[6]} if len(cells) > 6 and cells[6] else {})})
    return rows


def _extract_rows(path: Path, records: list[list[str]], codes: set[str]) -> list[dict]:
    """The CSV extract: column_1, column_2, deletion_date, modifier_indicator, ptp_edit_rationale."""
    header = [c.strip().lower() for c in records[0]]
    try:
        at = {name: header.index(name) for name in ("column_1", "column_2", "deletion_date", "modifier_indicator")}
    except ValueError as exc:
        raise UsageError(f"{path}:1: header has no {str(exc).split()[0]} column") from None
    why = header.index("ptp_edit_rationale") if "ptp_edit_rationale" in header else None
    rows = []
    for line, record in enumerate(records[1:], start=2):
        if not any(c.strip() for c in record):
            continue
        if len(record) < len(header):
            raise UsageError(f"{path}:{line}: {len(record)} fields where the header has {len(header)}")
        first, second = record[at["column_1"]].strip(), record[at["column_2"]].strip()
        if first not in codes or second not in codes:
            continue
        rationale = record[why].strip() if why is not None else ""
        rows.append({"column1": first, "column2": second,
                     "modifier_indicator": _indicator(record[at["modifier_indicator"]].strip(), path, line),
                     "deleted": _date(record[at["deletion_date"]], path, line, "deletion_date"),
                     **({"rationale": rationale} if rationale else {})})
    return rows


def _release(path: Path, extract: bool) -> tuple[str, date | None]:
    """A release label and the day the file's edits were in force, from the file name."""
    version = _VERSION.search(path.name)
    if version:
        return f"NCCI PTP v{version.group(1)}.{version.group(2)} r{version.group(3)}", None
    month = _EXTRACT_MONTH.search(path.name)
    if extract and month and 1 <= int(month.group(2)) <= 12:
        year, number = int(month.group(1)), int(month.group(2))
        return f"NCCI practitioner PTP edits, {_MONTHS[number - 1]} {year}", date(year, number, 1)
    return path.stem, None


def import_ptp(files: list[Path], reference_dir: Path) -> ImportResult:
    codes = pt_code_set(reference_dir)
    rows: list[dict] = []
    extract = False
    for path in files:
        raw_start = path.read_bytes()[:20000] if path.is_file() else b""
        records = read_csv_records(path, delimiter="\t" if b"\t" in raw_start else ",")
        if records and records[0] and records[0][0].strip().lower() == "column_1":
            extract = True
            rows.extend(_extract_rows(path, records, codes))
        else:
            rows.extend(_cms_rows(path, records, codes))
    if not rows:
        raise UsageError(f"{files[0]}: no PTP edit between two codes of the code set (reference/codes.yaml) "
                         "was found; is this a practitioner PTP file?")
    release, in_force_on = _release(files[0], extract)
    names = ", ".join(p.name for p in files)
    rows.sort(key=lambda r: (r["column1"], r["column2"], r["deleted"] or date.max))
    limits = ("no effective dates in this layout: an edit is judged in force from the start until its deletion "
              "date" if extract else "effective and deletion dates from CMS's files")
    document = {
        "table": "ptp",
        "title": "NCCI practitioner procedure-to-procedure edits between codes of the code set",
        "source": f"CMS NCCI practitioner PTP edits: {names} ({limits})",
        "effective_from": min((r["effective_from"] for r in rows if r.get("effective_from")), default=None)
        or date(1996, 1, 1),
        "effective_to": None,
        "release": release,
        "in_force_on": in_force_on,
        "source_file": names,
        "rows": rows,
    }
    result = ImportResult(rows=len(rows))
    active = sum(1 for r in rows if r["deleted"] is None)
    result.notes.append(f"{active} edits in force, {len(rows) - active} deleted (kept for older dates of service)")
    write(reference_dir, "ptp.yaml", "ptp", files, document, result)
    return result

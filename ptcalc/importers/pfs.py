"""CMS PFS Relative Value File (PPRRVU) -> `fee_schedule_<year>.yaml` and its conversion factor.

The 2025 and 2026 layouts differ by one column (2026 adds PRIC IND before ENDO BASE), so
columns are found by their header text, which CMS spreads over the lines above `HCPCS,MOD,...`.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

from ..errors import UsageError
from ..refdata.model import QUALITY_STATUS
from ..refdata.yamlio import CodeList, read_yaml, write_table
from .common import ImportResult, cell, find_column, is_code, number, pt_code_set, read_csv_records, write

_TITLE = re.compile(r"(\d{4}) National Physician Fee Schedule Relative Value File (\w+) Release", re.I)
_RELEASED = re.compile(r"RELEASED (\d{2}/\d{2}/\d{4})", re.I)
_COLUMNS = {
    "code": "HCPCS", "mod": "MOD", "status": "STATUS CODE", "not_for_payment": "NOT USED FOR MEDICARE PAYMENT",
    "work": "WORK RVU", "pe_nonfacility": "NON-FAC PE RVU", "pe_facility": "FACILITY PE RVU", "mp": "MP RVU",
    "pctc": "PCTC IND", "mult_proc": "MULT PROC", "conversion_factor": "CONV FACTOR",
}
_RELEASE_LETTER = {"JANUARY": "A", "JAN": "A", "APRIL": "B", "APR": "B", "JULY": "C", "JUL": "C",
                   "OCTOBER": "D", "OCT": "D"}


def _track(path: Path) -> str:
    name = path.name.upper()
    if "NONQPP" in name or "NON_QPP" in name:
        return "non_qp"
    if "QPP" in name:
        return "qp"
    return "standard"


class _PprrvuFile:
    """One PPRRVU CSV: its release metadata and its data rows, columns found by header text."""

    def __init__(self, path: Path) -> None:
        self.path = path
        records = read_csv_records(path)
        header_at = next((i for i, r in enumerate(records) if r and r[0].strip().upper() == "HCPCS"), None)
        if header_at is None:
            raise UsageError(f"{path}: no `HCPCS,MOD,DESCRIPTION` header line; not a PPRRVU file")
        preamble = " ".join(" ".join(r) for r in records[:header_at])
        title = _TITLE.search(preamble)
        if not title:
            raise UsageError(f"{path}: no 'YYYY National Physician Fee Schedule Relative Value File' title")
        self.year = int(title.group(1))
        month = title.group(2).title()
        package = f"RVU{self.year % 100:02d}{_RELEASE_LETTER.get(month.upper(), '?')}"
        self.release = f"{self.year} {month} release ({package})"
        released = _RELEASED.search(preamble)
        self.released = datetime.strptime(released.group(1), "%m/%d/%Y").date() if released else None
        released_at = next((i for i in range(header_at) if "RELEASED" in " ".join(records[i]).upper()), -1)
        block = records[released_at + 1:header_at + 1]
        width = max(len(r) for r in block)
        self.names = [" ".join(r[c].strip() for r in block if c < len(r) and r[c].strip()) for c in range(width)]
        self.rows = [r for r in records[header_at + 1:] if r and is_code(r[0].strip())]
        self.cols = {key: find_column(self.names, name, path) for key, name in _COLUMNS.items()}
        factors = {self.value(r, "conversion_factor") for r in self.rows} - {""}
        if len(factors) != 1:
            raise UsageError(f"{path}: expected one CONV FACTOR value, found {sorted(factors)[:5]}")
        self.conversion_factor = number(factors.pop(), path, "CONV FACTOR", "conversion_factor")

    def value(self, row: list[str], name: str) -> str:
        return cell(row, self.cols[name], self.path, row[0].strip(), name)


def import_pfs(files: list[Path], reference_dir: Path) -> ImportResult:
    """Import one year's PPRRVU file(s) (e.g. the PT rows and the extra rows) into reference_dir."""
    parsed = [_PprrvuFile(p) for p in files]
    years = {p.year for p in parsed}
    if len(years) != 1:
        raise UsageError(f"files are from different years ({sorted(years)}); import one year at a time")
    first = parsed[0]
    codes = pt_code_set(reference_dir)
    rows: dict[str, dict] = {}
    quality: set[str] = set()  # status M: quality data codes a therapist's claims report for MIPS, never paid
    other: set[str] = set()  # another profession's codes: real codes on a multidisciplinary clinic's sheet
    for pf in parsed:
        for row in pf.rows:
            code = row[0].strip()
            if not pf.value(row, "mod") and code not in codes:
                (quality if pf.value(row, "status") == QUALITY_STATUS else other).add(code)
            if code not in codes or pf.value(row, "mod"):
                continue
            rows[code] = {
                "code": code,
                "status": pf.value(row, "status"),
                "not_for_payment": pf.value(row, "not_for_payment") == "+",
                **{f: number(pf.value(row, f), pf.path, code, f) for f in ("work", "pe_nonfacility",
                                                                            "pe_facility", "mp")},
                "mult_proc": int(number(pf.value(row, "mult_proc"), pf.path, code, "mult_proc")),
                "pctc": pf.value(row, "pctc"),
            }
    year = first.year
    names = ", ".join(p.path.name for p in parsed)
    document = {
        "table": "fee_schedule",
        "title": f"CY{year} Medicare PFS relative values for the PT code set, {first.release}",
        "source": f"CMS PFS Relative Value File, {first.release}: {names}; used for every date of service in {year}",
        "effective_from": date(year, 1, 1),
        "effective_to": date(year, 12, 31),
        "year": year,
        "release": first.release,
        "released": first.released,
        "source_file": names,
        "conversion_factor": first.conversion_factor,
        **({"quality_codes": sorted(quality)} if quality else {}),
        **({"other_codes": CodeList.of(sorted(other))} if other else {}),
        "rows": [rows[c] for c in sorted(rows)],
    }
    result = ImportResult(rows=len(rows), missing_codes=sorted(codes - set(rows)))
    write(reference_dir, f"fee_schedule_{year}.yaml", "pfs", [p.path for p in parsed], document, result)
    _record_conversion_factor(reference_dir, first, _track(first.path), result)
    return result


def _record_conversion_factor(reference_dir: Path, pf: _PprrvuFile, track: str, result: ImportResult) -> None:
    """Put the file's CONV FACTOR into conversion_factors.yaml for its year and track."""
    path = reference_dir / "conversion_factors.yaml"
    document = read_yaml(path) if path.is_file() else {"table": "conversion_factors",
                                                       "title": "Medicare PFS conversion factors", "rows": []}
    start, end = date(pf.year, 1, 1), date(pf.year, 12, 31)
    kept = [dict(r) for r in document["rows"]
            if not (r["track"] == track and start <= r["effective_from"] and r["effective_to"] <= end)]
    kept.append({"effective_from": start, "effective_to": end, "amount": pf.conversion_factor, "track": track,
                 "source": f"CONV FACTOR column of {pf.path.name} ({pf.release})", "confidence": "high"})
    kept.sort(key=lambda r: (r["effective_from"], r["track"]))
    header = ("Medicare PFS conversion factors by date of service and track.\n"
              "`ptcalc import pfs` writes the row of the imported file's year; other rows are kept as edited.")
    write_table(path, header, {"table": "conversion_factors", "title": document["title"], "rows": kept})
    result.written.append(path)

"""CMS GPCI file (PFS Addendum E) -> `gpci_<year>.yaml`.

Columns are found by header text: the 2026 file carries the work GPCI twice (without and
with the 1.0 floor) and so shifts PE and MP one column right of the 2025 layout. The work
GPCI used for payment is the `with 1.0 Floor` column while the floor is in force.
"""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from ..errors import UsageError
from .common import cell, number, ImportResult, find_column, fold, read_csv_records, write

_YEAR = re.compile(r"CY (\d{4})")


def import_gpci(path: Path, reference_dir: Path) -> ImportResult:
    records = read_csv_records(path)
    header_at = next((i for i, r in enumerate(records)
                      if r and fold(r[0]).startswith("MEDICARE ADMINISTRATIVE CONTRACTOR")), None)
    if header_at is None:
        raise UsageError(f"{path}: no 'Medicare Administrative Contractor' header; not a CMS GPCI file")
    names = records[header_at]
    title = " ".join(" ".join(r) for r in records[:header_at])
    year_match = _YEAR.search(title) or re.search(r"(\d{4}) PW GPCI", " ".join(names))
    if not year_match:
        raise UsageError(f"{path}: cannot tell the year (no 'CY YYYY' in the title)")
    year = int(year_match.group(1))
    col = {
        "mac": find_column(names, "Medicare Administrative Contractor (MAC)", path),
        "state": find_column(names, "State", path),
        "number": find_column(names, "Locality Number", path),
        "name": find_column(names, "Locality Name", path),
        "work": find_column(names, "PW GPCI (with 1.0 Floor)", path, exact=False),
        "work_unfloored": find_column(names, "PW GPCI (without 1.0 Floor)", path, exact=False, required=False),
        "pe": find_column(names, "PE GPCI", path, exact=False),
        "mp": find_column(names, "MP GPCI", path, exact=False),
    }
    rows = []
    for position, record in enumerate(records[header_at + 1:], start=header_at + 2):
        mac = record[col["mac"]].strip() if len(record) > col["mac"] else ""
        if not mac.isdigit():
            continue  # blank and footnote lines
        where = f"record {position}"
        number_of = lambda name: number(cell(record, col[name], path, where, name), path, where, name)  # noqa: E731
        row = {
            "locality": f"{mac.zfill(5)}-{cell(record, col['number'], path, where, 'locality').zfill(2)}",
            "state": cell(record, col["state"], path, where, "state"),
            "name": cell(record, col["name"], path, where, "name").rstrip("*").strip(),
            "work": number_of("work"),
            "pe": number_of("pe"),
            "mp": number_of("mp"),
        }
        if col["work_unfloored"] is not None:
            row["work_unfloored"] = number_of("work_unfloored")
        rows.append(row)
    if not rows:
        raise UsageError(f"{path}: no locality rows found")
    document = {
        "table": "gpci",
        "title": f"CY{year} geographic practice cost indices by Medicare locality (MAC-LL)",
        "source": f"CMS PFS Addendum E, final CY{year} GPCIs: {path.name}",
        "effective_from": date(year, 1, 1),
        "effective_to": date(year, 12, 31),
        "year": year,
        "source_file": path.name,
        "work_column": names[col["work"]].strip(),
        "rows": sorted(rows, key=lambda r: r["locality"]),
    }
    result = ImportResult(rows=len(rows))
    write(reference_dir, f"gpci_{year}.yaml", "gpci", [path], document, result)
    return result

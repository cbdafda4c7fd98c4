"""CMS NCCI Practitioner Services MUE table -> `mue.yaml`.

The header is two CSV records spread over nine physical lines (a quoted notice, then a
header whose first cell holds a newline), so the file is read with a real CSV parser. The
MAI cell is text starting with the indicator digit ('3 Date of Service Edit: Clinical').
"""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from ..errors import UsageError
from .common import ImportResult, fold, is_code, pt_code_set, read_csv_records, write

_EFFECTIVE = re.compile(r"Eff_(\d{2})-(\d{2})-(\d{4})", re.I)


def import_mue(files: list[Path], reference_dir: Path, effective: date | None = None) -> ImportResult:
    codes = pt_code_set(reference_dir)
    rows: dict[str, dict] = {}
    for path in files:
        records = read_csv_records(path)
        header_at = next((i for i, r in enumerate(records) if r and fold(r[0]).startswith("HCPCS")), None)
        if header_at is None or len(records[header_at]) < 3:
            raise UsageError(f"{path}: no 'HCPCS/CPT Code' header record; not a CMS MUE table")
        for record in records[header_at + 1:]:
            code = record[0].strip() if record else ""
            if not is_code(code) or code not in codes:
                continue
            mai_text = record[2].strip()
            if not mai_text[:1] in ("1", "2", "3") or not record[1].strip().isdigit():
                raise UsageError(f"{path}: {code}: MUE {record[1]!r} / MAI {mai_text!r} cannot be read")
            rows[code] = {"code": code, "units": int(record[1]), "mai": int(mai_text[0]),
                          "rationale": record[3].strip() if len(record) > 3 else ""}
    if effective is None:
        match = _EFFECTIVE.search(files[0].name)
        if not match:
            raise UsageError(f"{files[0]}: no 'Eff_MM-DD-YYYY' in the file name; pass --effective YYYY-MM-DD")
        effective = date(int(match.group(3)), int(match.group(1)), int(match.group(2)))
    quarter = (effective.month - 1) // 3 + 1
    names = ", ".join(p.name for p in files)
    document = {
        "table": "mue",
        "title": "NCCI medically unlikely edits, practitioner services, for the PT code set",
        "source": f"CMS NCCI Practitioner Services MUE table: {names}",
        "effective_from": effective,
        "effective_to": None,
        "release": f"{effective.year} Q{quarter} (effective {effective.isoformat()})",
        "source_file": names,
        "rows": [rows[c] for c in sorted(rows)],
    }
    result = ImportResult(rows=len(rows), missing_codes=sorted(codes - set(rows)))
    write(reference_dir, "mue.yaml", "mue", files, document, result)
    return result

"""CMS NCCI practitioner PTP edit files (ccipra-*-f1..f4) -> `ptp.yaml`.

Layout (tab-delimited text, or the same columns as CSV): a copyright line and a wrapped
header block, then Column 1, Column 2, `*` (in existence prior to 1996), effective date
YYYYMMDD, deletion date YYYYMMDD or `*`, modifier indicator 0/1/9, rationale. Rows are kept
when both codes are in the PT code set. Importing replaces the whole table, including the
secondary-source pairs ptcalc ships until a real CMS file is imported.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

from ..errors import UsageError
from .common import ImportResult, is_code, pt_code_set, read_csv_records, write

_VERSION = re.compile(r"v(\d{2})(\d)r(\d)", re.I)


def _date(text: str, path: Path, line: int) -> date | None:
    text = text.strip()
    if text in ("", "*"):
        return None
    try:
        return datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        raise UsageError(f"{path}:{line}: date {text!r} is not YYYYMMDD") from None


def import_ptp(files: list[Path], reference_dir: Path) -> ImportResult:
    codes = pt_code_set(reference_dir)
    rows = []
    for path in files:
        delimiter = "\t" if b"\t" in path.read_bytes()[:20000] else ","
        for line, record in enumerate(read_csv_records(path, delimiter=delimiter), start=1):
            cells = [c.strip() for c in record]
            if len(cells) < 6 or not (is_code(cells[0]) and is_code(cells[1])):
                continue
            if cells[0] not in codes or cells[1] not in codes:
                continue
            indicator = cells[5]
            if indicator not in ("0", "1", "9"):
                raise UsageError(f"{path}:{line}: modifier indicator {indicator!r} is not 0, 1 or 9")
            effective = _date(cells[3], path, line)
            if effective is None:
                raise UsageError(f"{path}:{line}: no effective date")
            rows.append({
                "column1": cells[0], "column2": cells[1], "modifier_indicator": int(indicator),
                "effective_from": effective, "deleted": _date(cells[4], path, line),
                "source": f"CMS NCCI practitioner PTP edits, {path.name}", "confidence": "high",
                **({"note": cells[6]} if len(cells) > 6 and cells[6] else {}),
            })
    if not rows:
        raise UsageError(f"{files[0]}: no PTP edit between two codes of the PT code set was found")
    version = _VERSION.search(files[0].name)
    release = f"NCCI PTP v{version.group(1)}.{version.group(2)} r{version.group(3)}" if version else files[0].stem
    names = ", ".join(p.name for p in files)
    rows.sort(key=lambda r: (r["column1"], r["column2"], r["effective_from"]))
    document = {
        "table": "ptp",
        "title": "NCCI procedure-to-procedure edits between codes of the PT code set",
        "source": f"CMS NCCI practitioner PTP edits: {names}",
        "effective_from": min(r["effective_from"] for r in rows),
        "effective_to": None,
        "release": release,
        "source_file": names,
        "rows": rows,
    }
    result = ImportResult(rows=len(rows))
    write(reference_dir, "ptp.yaml", "ptp", files, document, result)
    return result

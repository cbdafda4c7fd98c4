"""`ptcalc demo`: scrub the bundled synthetic charge sheet into the current directory."""
from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

from .scrub import scrub_file
from .scrub.report import format_summary
from .synthetic import HEADER, charge_lines

SAMPLE = Path(__file__).parent / "samples" / "clinic_week.csv"
WEEK = (date(2026, 3, 2), date(2026, 3, 6))
SEED = 20260317  # a week whose visits show the broadest spread of mistakes


def sample_csv() -> str:
    """The bundled sample's text: one week of a small clinic, every common mistake a few times."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, HEADER, lineterminator="\n")
    writer.writeheader()
    writer.writerows(charge_lines(10_000, SEED, WEEK[0], until=WEEK[1], every_mistake=True, patients=22))
    return buffer.getvalue()


def run_demo(directory: Path) -> int:
    from .scrub.report_xlsx import write_xlsx

    result = scrub_file(SAMPLE)
    output = directory / "clinic_week.scrubbed.xlsx"
    write_xlsx(result, output)
    print("ptcalc demo: the bundled sample charge sheet (one week of a small synthetic clinic), scrubbed\n")
    print(format_summary(result))
    print(f"\nAnnotated copy, report and chart: {output}")
    print("Next: ptcalc scrub YOUR_SHEET.xlsx   ptcalc rules   ptcalc info")
    return 0

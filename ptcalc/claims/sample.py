"""The bundled backtest sample: a synthetic clinic week billed as an 837P, and a payer's 835 that
denies some lines — most of them for reasons ptcalc flags, some it cannot see (medical necessity),
and pays some lines ptcalc flags (false alarms), so the backtest shows all three."""
from __future__ import annotations

import random
from datetime import date
from pathlib import Path

from ..scrub.reader import RawSheet
from ..scrub.runner import scrub_sheet
from ..synthetic import charge_lines
from .write835 import write_835
from .write837 import write_837

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
SAMPLE_CLAIMS, SAMPLE_REMITS = SAMPLES / "claims_week.837", SAMPLES / "remits_week.835"
FIELDS = ("patient_id", "dos", "cpt", "modifiers", "units", "minutes", "pta_minutes", "charge", "pos", "payer_type",
          "payer", "provider_type")
REASON_OF = {"PTP": "97", "MUE": "151", "UNT": "151", "MOD": "4", "COV": "96", "PRV": "B7", "TEL": "5", "DAT": "16"}


def sample_files(as_of: date = date(2026, 11, 22)) -> tuple[str, str]:
    """(837 text, 835 text) of the sample, made the same way every time."""
    lines = [{k: line.get(k) for k in FIELDS} for line in
             charge_lines(10_000, seed=20260317, start=date(2026, 3, 2), until=date(2026, 3, 6), every_mistake=True,
                          patients=22)]
    lines = [l for l in lines if l["cpt"] and str(l["units"]).isdigit() and l["patient_id"] and l["dos"]
             and not str(l["minutes"] or "0").strip("0123456789.")]
    for line in lines:
        line["claim_id"] = f"{line['patient_id']}-{str(line['dos']).replace('-', '')}"
    lines.sort(key=lambda line: line["claim_id"])
    header = ["claim_id", *FIELDS]
    result = scrub_sheet(RawSheet(Path("claims.csv"), "claims", [header] + [[l[k] for k in header] for l in lines]),
                         None, as_of)
    rnd = random.Random(5)
    denials, numbers = {}, {}
    for row, line in enumerate(lines, start=2):
        numbers[line["claim_id"]] = numbers.get(line["claim_id"], 0) + 1
        flags = [f.rule for f in result.by_row.get(row, []) if f.status == "fail" and f.severity in ("error", "warning")]
        if flags and rnd.random() < 0.8:
            denials[(line["claim_id"], numbers[line["claim_id"]])] = ("CO", REASON_OF.get(flags[0][:3], "16"))
        elif not flags and rnd.random() < 0.05:
            denials[(line["claim_id"], numbers[line["claim_id"]])] = ("CO", "50")
    return write_837(lines), write_835(lines, denials)

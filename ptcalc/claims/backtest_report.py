"""The backtest as a workbook (a summary with a chart: caught / missed / false alarms by reason, and
one row per remittance line) or as json."""
from __future__ import annotations

import json
from pathlib import Path

import xlsxwriter

from ..safe_write import atomic_save
from .backtest import Backtest

SUMMARY, LINES = "Backtest Summary", "Remittance Lines"
VERDICT_WORDS = {"caught": "caught before billing", "missed": "missed",
                 "intended": "denied as billed (GA, GZ or GY)", "false_alarm": "false alarm (paid)",
                 "clean": "paid, not flagged", "unmatched": "no billed line matched"}


def to_json(result: Backtest) -> str:
    return json.dumps(result.as_dict(), indent=2, ensure_ascii=False) + "\n"


def write_xlsx(result: Backtest, target: Path, sources: tuple[Path, ...]) -> None:
    def save(temp: str) -> None:
        book = xlsxwriter.Workbook(temp, {"strings_to_formulas": False, "strings_to_urls": False,
                                          "strings_to_numbers": False})
        bold = book.add_format({"bold": True})
        header = book.add_format({"bold": True, "bg_color": "#D9E1F2", "bottom": 1})
        money = book.add_format({"num_format": "$#,##0.00"})
        ws = book.add_worksheet(SUMMARY)
        ws.activate()
        ws.set_column(0, 0, 34)
        ws.set_column(1, 1, 46)
        ws.set_column(2, 9, 12)
        ws.write_string(0, 0, "ptcalc backtest: would the scrub have caught these denials?", bold)
        ws.write_string(1, 0, "Claims and remittances")
        ws.write_string(1, 1, ", ".join(p.name for p in sources))
        r = 3
        ws.write_row(r, 0, ("Outcome", "", "Lines", "Dollars"), header)
        for verdict, figures in result.totals().items():
            r += 1
            ws.write_string(r, 0, VERDICT_WORDS[verdict])
            ws.write_number(r, 2, figures["lines"])
            ws.write_number(r, 3, figures["dollars"], money)
        r += 2
        top = r
        ws.write_row(r, 0, ("Denial reason (CARC)", "Meaning", "Denied", "Caught", "Missed", "Unmatched",
                            "$ denied", "$ caught"), header)
        for entry in result.by_reason.values():
            r += 1
            ws.write_string(r, 0, entry["carc"])
            ws.write_string(r, 1, entry["meaning"])
            for c, key in enumerate(("denied", "caught", "missed", "unmatched"), start=2):
                ws.write_number(r, c, entry[key])
            ws.write_number(r, 6, entry["dollars_denied"], money)
            ws.write_number(r, 7, entry["dollars_caught"], money)
        if result.by_reason:
            chart = book.add_chart({"type": "bar", "subtype": "stacked"})
            for col, name, colour in ((3, "Caught", "#548235"), (4, "Missed", "#C00000")):
                chart.add_series({"name": name, "categories": [SUMMARY, top + 1, 0, r, 0],
                                  "values": [SUMMARY, top + 1, col, r, col], "fill": {"color": colour}})
            chart.set_title({"name": "Denied lines by reason: caught or missed"})
            chart.set_y_axis({"reverse": True})
            chart.set_legend({"position": "bottom"})
            ws.insert_chart(3, 9, chart)
        r += 2
        ws.write_row(r, 0, ("False alarms (paid lines ptcalc flagged)", "", "Lines", "$ paid"), header)
        for entry in result.false_alarms_by_rule.values() or [{"rule": "none", "lines": 0, "dollars_paid": 0.0}]:
            r += 1
            ws.write_string(r, 0, entry["rule"])
            ws.write_number(r, 2, entry["lines"])
            ws.write_number(r, 3, entry["dollars_paid"], money)
        lines = book.add_worksheet(LINES)
        lines.write_row(0, 0, ("Claim", "Line control", "Code", "DOS", "Charge", "Paid", "Reasons", "Sheet row",
                               "ptcalc flags", "Outcome", "Rules that cover the reason"), header)
        for i, outcome in enumerate(result.outcomes, start=1):
            remit = outcome.remit
            lines.write_row(i, 0, (remit.claim_id, remit.line_control or "", remit.code, remit.dos or ""))
            lines.write_number(i, 4, remit.charge, money)
            lines.write_number(i, 5, remit.paid, money)
            verdict = VERDICT_WORDS[outcome.verdict] + (f" (denied in part: ${outcome.denied:,.2f})"
                                                        if outcome.partly_denied else "")
            lines.write_row(i, 6, (" ".join(remit.reasons), outcome.row or "", " ".join(outcome.flags),
                                   verdict, " ".join(outcome.expected_rules)))
        lines.set_column(0, 1, 18)
        lines.set_column(6, 10, 22)
        lines.freeze_panes(1, 0)
        book.close()

    atomic_save(target, save, inputs=sources)

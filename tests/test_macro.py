"""The scrub macro, run headlessly on an openpyxl workbook through the xlwings Book API subset."""
from __future__ import annotations

import asyncio
from datetime import date, datetime
from itertools import groupby
from pathlib import Path

import openpyxl
import pytest
from openpyxl.styles import PatternFill

from ptcalc.errors import UsageError
from ptcalc.scrub import scrub_file
from ptcalc.scrub.report_xlsx import write_xlsx
from ptcalc.scrub.layout import NAME_THE_COLUMNS, SAY_WHICH
from udfs.macros import pt_scrub, say_in_excel, scrub_book

from .fakebook import FakeBook, FakeRange
from .test_scrub import BASIC, as_xlsx

AS_OF = date(2026, 11, 22)


def snapshot(ws, width: int) -> list:  # noqa: ANN001
    return [[(c.value, c.fill.fgColor.rgb if c.fill.fill_type else None) for c in row[:width]]
            for row in ws.iter_rows(min_row=1, max_row=ws.max_row)]


def test_macro_writes_results_beside_the_users_columns_and_never_changes_them(tmp_path: Path) -> None:
    path = as_xlsx(BASIC, tmp_path / "book.xlsx", blank_after=3)
    wb = openpyxl.load_workbook(path)
    ws = wb["Charges"]
    ws["B3"].fill = PatternFill("solid", fgColor="FFFF00")  # the user's own highlight
    width = ws.max_column
    before = snapshot(ws, width)

    result = scrub_book(FakeBook(wb), as_of=AS_OF)
    assert snapshot(ws, width) == before
    assert [ws.cell(1, width + i).value for i in (1, 2, 3)] == ["Scrub Status", "Findings", "Expected Units"]
    assert ws.cell(5, width + 1).value is None  # the blank row
    statuses = [ws.cell(r, width + 1).value for r in range(2, ws.max_row + 1)]
    assert statuses.count("ERROR") == 9 and statuses.count(None) == 1
    assert wb.sheetnames == ["Charges", "Scrub Report", "Scrub Summary"]
    assert wb["Scrub Report"].max_row == len(result.findings) + 1
    # the macro and the command line judge the same sheet the same way
    cli = scrub_file(path, as_of=AS_OF)
    assert [(f.row, f.rule, f.status) for f in result.findings] == [(f.row, f.rule, f.status) for f in cli.findings]


def test_running_it_again_replaces_the_results_without_duplicates(tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(as_xlsx(BASIC, tmp_path / "book.xlsx"))
    ws = wb["Charges"]
    width = ws.max_column
    scrub_book(FakeBook(wb), as_of=AS_OF)
    first = [[c.value for c in row] for row in ws.iter_rows()]
    report = [[c.value for c in row] for row in wb["Scrub Report"].iter_rows()]
    scrub_book(FakeBook(wb), as_of=AS_OF)
    assert [[c.value for c in row] for row in ws.iter_rows()] == first
    assert [[c.value for c in row] for row in wb["Scrub Report"].iter_rows()] == report
    assert wb.sheetnames == ["Charges", "Scrub Report", "Scrub Summary"] and ws.max_column == width + 3

    ws.cell(6, 7).value = 1  # the user fixes P003's units (row 6: 2 units for 20 minutes)
    scrub_book(FakeBook(wb), as_of=AS_OF)
    assert ws.cell(6, width + 1).value == "CLEAN" and ws.cell(6, width + 2).value is None
    assert ws.cell(6, width + 1).fill.fill_type is None  # last run's red is gone
    assert ws.max_column == width + 3


def merged_visits_book(path: Path, more_visits: int = 0) -> Path:
    """A hand-kept charge sheet under a merged title: each visit's patient, date and insurance merged over its
    lines; `more_visits` of three lines each first (patients V0, V1, ...)."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Charges"
    sheet.append(["Charges, week of March 2"])
    sheet.append(["Acct", "DOS", "CPT", "Modifiers", "Units", "Minutes", "Primary Insurance"])
    merges = ["A1:G1"]
    for visit in range(more_visits):
        top = sheet.max_row + 1
        sheet.append([f"V{visit}", datetime(2026, 3, 2), "97110", "GP", 2, 30, "Medicare"])
        sheet.append([None, None, "97140", "GP", 1, 15, None])
        sheet.append([None, None, "97112", "GP", 1, 15, None])
        merges += [f"{column}{top}:{column}{top + 2}" for column in "ABG"]
    top = sheet.max_row + 1  # row 3 without more visits
    sheet.append(["M1", datetime(2026, 3, 2), "97110", "GP", 2, 30, "Medicare"])
    sheet.append([None, None, "97140", "", 1, 15, None])
    sheet.append([None, None, "97112", "GP", 1, 15, None])
    sheet.append(["M2", datetime(2026, 3, 2), "97110", "GP", 2, 30, "Aetna"])
    sheet.append([None, datetime(2026, 3, 3), "97110", "GP", 1, 15, None])
    sheet.append([None, None, "97140", "GP", 1, 15, None])  # blank, not merged: carried down, with a note
    merges += [f"A{top}:A{top + 2}", f"B{top}:B{top + 2}", f"G{top}:G{top + 2}", f"A{top + 3}:A{top + 4}",
               f"G{top + 3}:G{top + 4}"]
    for cells in merges:
        sheet.merge_cells(cells)
    book.save(path)
    return path


def test_the_macro_reads_a_patient_and_date_merged_over_a_visits_lines_as_each_lines(tmp_path: Path) -> None:
    """Excel gives a merged cell's value in its top cell only: the macro asks where the merges are, and
    judges the sheet as the command line does the saved file (which knows its merges). Before, every line
    under a merged patient and date was DAT008 (\"carried down\"), and a patient merged over two days' lines
    left the second day's line without a patient (DAT001)."""
    path = merged_visits_book(tmp_path / "merged.xlsx")
    result = scrub_book(FakeBook(openpyxl.load_workbook(path)), as_of=AS_OF)
    found = {(f.row, f.rule) for f in result.findings}
    assert found == {(4, "MOD001"), (8, "DAT008")}  # 97140 without GP; the blank date not merged is noted
    assert [line.patient_id for line in result.lines] == ["M1", "M1", "M1", "M2", "M2", "M2"]
    cli = scrub_file(path, as_of=AS_OF)
    assert [(f.row, f.rule, f.status) for f in result.findings] == [(f.row, f.rule, f.status) for f in cli.findings]
    # xlwings Lite's script asks the same questions with await (get_merge_cells, get_merge_area)
    book = openpyxl.load_workbook(path)
    asyncio.run(pt_scrub(FakeBook(book)))
    statuses = [book["Charges"].cell(row, 8).value for row in range(1, 9)]  # H: right of the user's A-G
    assert statuses == [None, "Scrub Status", "CLEAN", "ERROR", "CLEAN", "CLEAN", "CLEAN", "INFO"]


def test_the_macros_summary_says_how_the_sheet_was_read(tmp_path: Path) -> None:
    """Which column was read as which field, the title rows kept and the columns not used: in the macro's
    `Scrub Summary` as in the annotated copy's (before, the macro's summary did not say)."""
    path = merged_visits_book(tmp_path / "merged.xlsx")
    book = openpyxl.load_workbook(path)
    scrub_book(FakeBook(book), as_of=AS_OF)
    rows = [[cell for cell in row[:2]] for row in book["Scrub Summary"].iter_rows(values_only=True)]
    read = rows[rows.index(["How the sheet was read", None]) + 1:]
    assert read[:3] == [["Read: header on row 2 (title rows 1 kept, not judged)", None], ["patient_id", "Acct (A)"],
                        ["dos", "DOS (B)"]]
    write_xlsx(scrub_file(path, as_of=AS_OF), tmp_path / "annotated.xlsx")
    copy = [[cell for cell in row[:2]] for row in openpyxl.load_workbook(tmp_path / "annotated.xlsx")[
        "Scrub Summary"].iter_rows(values_only=True)]
    assert read[:3] == copy[copy.index(["How the sheet was read", None]) + 1:][:3]
    # Where the lines are priced, with what sets the clinic's locality in each: a column in Excel, an option or
    # the clinic's ptcalc.yaml on the command line (before, Excel's summary named the command line's option)
    said = next(row[0] for row in read if str(row[0]).startswith("locality:"))
    assert said.endswith("national rates (GPCI 1.0); a Locality column (MAC-LL, or the locality's name) prices them "
                         "at the clinic's") and "--locality" not in said
    assert any(str(row[0]).endswith("--locality or the clinic's ptcalc.yaml sets it") for row in copy)


def test_the_macros_summary_gives_the_advice_in_excels_words() -> None:
    """Two headers that could each be the minutes: the command line says to name one with --columns, Excel's
    summary to rename the other (before, it named the command line's option)."""
    book = openpyxl.Workbook()
    book.active.title = "Charges"
    for row in (["patient_id", "dos", "cpt", "units", "modifiers", "Tx Minutes", "Treatment Time"],
                ["U1", "2026-03-02", "97110", 2, "GP", 30, 45]):
        book.active.append(row)
    scrub_book(FakeBook(book), as_of=AS_OF)
    said = [str(row[0]) for row in book["Scrub Summary"].iter_rows(values_only=True) if row[0]]
    unclear = next(line for line in said if line.startswith("minutes: not read"))
    assert unclear.endswith("could each be it (or rename the other)")
    assert not any("--" in line or "ptcalc.yaml" in line for line in said)


def test_each_finding_in_the_macros_report_links_to_its_line(tmp_path: Path) -> None:
    """As in the annotated copy: a report row's first cell goes to its line (a HYPERLINK formula, the sheet's name
    quoted). Before, the macro's report gave the row number only."""
    book = openpyxl.load_workbook(merged_visits_book(tmp_path / "merged.xlsx"))
    book["Charges"].title = "O'Brien Clinic"
    scrub_book(FakeBook(book), as_of=AS_OF)
    report = book["Scrub Report"]
    assert [report.cell(row, 1).value for row in (2, 3)] == [
        '=HYPERLINK("#\'O\'\'Brien Clinic\'!A4","4")', '=HYPERLINK("#\'O\'\'Brien Clinic\'!A8","8")']


def test_the_results_go_on_the_header_row_under_a_title(tmp_path: Path) -> None:
    """A title row above the header (`Charges, week of March 2`): the result columns are headed on the header
    row the scrub found, and each line's status is on its line. Before, the macro took the first filled row
    for the header: `Scrub Status` went on the title row, and the header row got a status of its own (CLEAN)."""
    book = openpyxl.load_workbook(merged_visits_book(tmp_path / "merged.xlsx"))
    for _ in range(2):  # and again: the earlier run's columns are found on the header row and replaced
        scrub_book(FakeBook(book), as_of=AS_OF)
        sheet = book["Charges"]
        assert [[sheet.cell(row, col).value for col in (8, 9, 10)] for row in (1, 2, 3)] == [
            [None, None, None], ["Scrub Status", "Findings", "Expected Units"], ["CLEAN", None, 2]]
        assert sheet.max_column == 10


def test_an_engine_that_cannot_say_where_merges_are_reads_their_cells_as_blank(tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """An engine that cannot answer (xlwings Lite's sync `merge_cells` raises NotImplementedError; its script
    asks asynchronously): the scrub still runs, the lines under a merge carried down with a note."""
    def not_here(self: FakeRange) -> None:
        raise NotImplementedError("Reading whether cells are merged synchronously isn't supported on this engine")

    monkeypatch.setattr(FakeRange, "merge_cells", property(not_here))
    path = merged_visits_book(tmp_path / "merged.xlsx")
    result = scrub_book(FakeBook(openpyxl.load_workbook(path)), as_of=AS_OF)
    assert sorted((f.row, f.rule) for f in result.findings) == [
        (4, "DAT008"), (4, "MOD001"), (5, "DAT008"), (7, "DAT001"), (8, "DAT001"), (8, "DAT001")]


def test_a_sheet_without_merges_costs_the_macro_one_question(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each question is a call into Excel (COM): a sheet without merges asks once, a merged one a few per merge."""
    asked = []
    merge_cells = FakeRange.merge_cells.fget

    def counted(self: FakeRange) -> bool | None:
        asked.append((self.r1, self.c1, self.r2, self.c2))
        return merge_cells(self)

    monkeypatch.setattr(FakeRange, "merge_cells", property(counted))
    scrub_book(FakeBook(openpyxl.load_workbook(as_xlsx(BASIC, tmp_path / "book.xlsx"))), as_of=AS_OF)
    assert len(asked) == 1
    asked.clear()
    book = openpyxl.load_workbook(merged_visits_book(tmp_path / "merged.xlsx", more_visits=100))
    result = scrub_book(FakeBook(book), as_of=AS_OF)
    assert len(result.lines) == 306 and [(f.rule, f.patient_id) for f in result.findings] == [
        ("MOD001", "M1"), ("DAT008", "M2")]  # as on the small sheet: the merges are all found
    cells = book["Charges"].max_row * 7
    assert len(asked) < cells / 4  # asking cell by cell would be one question a cell (308 rows x 7 columns)


def test_the_macro_says_what_the_annotated_copy_says_of_a_total_row_and_a_waived_finding(tmp_path: Path) -> None:
    """A visit's total row is kept and not judged, and a waived finding is listed as bypassed: the macro's three
    columns read as the annotated copy's. Before, the total row was CLEAN and the waiver's line said
    `PTP001 ...` as if it still failed, beside a status of INFO."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Charges"
    sheet.append(["patient_id", "dos", "cpt", "modifiers", "units", "minutes", "payer_type", "scrub_override"])
    sheet.append(["P1", datetime(2026, 3, 2), "97150", "GP", 1, 30, "medicare", None])
    sheet.append(["P1", datetime(2026, 3, 2), "97110", "GP", 1, 15, "medicare",
                  "PTP001: group at 9am, 97110 alone at 2pm"])
    sheet.append(["Total", None, None, None, 2, 45, None, None])
    path = tmp_path / "charges.xlsx"
    book.save(path)
    scrub_book(FakeBook(book), as_of=AS_OF)
    added = [[sheet.cell(row, col).value for col in (9, 10)] for row in (2, 3, 4)]
    assert added[0] == ["CLEAN", None]
    assert added[1][0] == "INFO" and added[1][1].startswith("PTP001 (bypassed) ")
    assert added[2] == ["NOT A LINE", "not a claim line (Total): kept, not judged"]
    assert sheet.cell(4, 9).fill.fgColor.rgb.endswith("E7E6E6")  # the annotated copy's grey
    write_xlsx(scrub_file(path, as_of=AS_OF), tmp_path / "annotated.xlsx")
    copy = openpyxl.load_workbook(tmp_path / "annotated.xlsx")["Charges"]
    assert [[copy.cell(row, col).value for col in (9, 10)] for row in (2, 3, 4)] == added


def test_a_users_own_findings_column_is_the_users(tmp_path: Path) -> None:
    """A clinic's own `Findings` column (the therapist's): the user's, judged with the sheet and never written
    over. Before, the macro took any `Findings` header for an earlier run's result columns and cut the sheet
    there: the columns right of it were not read, and the results were written over them."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Charges"
    sheet.append(["patient_id", "dos", "cpt", "Findings", "modifiers", "units", "minutes"])
    sheet.append(["P1", datetime(2026, 3, 2), "97110", "ROM improved", "GP", 2, 30])
    for _ in range(2):
        scrub_book(FakeBook(book), as_of=AS_OF)
        assert [sheet.cell(1, col).value for col in range(1, 11)] == [
            "patient_id", "dos", "cpt", "Findings", "modifiers", "units", "minutes", "Scrub Status", "Findings",
            "Expected Units"]
        assert [sheet.cell(2, col).value for col in range(4, 11)] == ["ROM improved", "GP", 2, 30, "CLEAN", None, 2]


def test_an_error_cell_is_read_as_the_error_it_shows(tmp_path: Path) -> None:
    """Units looked up by a formula that failed (#N/A): xlwings hands an error cell over as None unless asked
    for its text, so the macro said `units is empty` of a cell showing #N/A. It reads it as the command line
    does: the Excel error, named."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Charges"
    sheet.append(["patient_id", "dos", "cpt", "modifiers", "units", "minutes"])
    sheet.append(["P1", datetime(2026, 3, 2), "97110", "GP", "#N/A", 30])
    path = tmp_path / "charges.xlsx"
    book.save(path)
    result = scrub_book(FakeBook(book), as_of=AS_OF)
    assert [(f.rule, f.message) for f in result.findings] == [
        (f.rule, f.message) for f in scrub_file(path, as_of=AS_OF).findings]
    [error] = result.findings
    assert error.rule == "DAT002" and "#N/A" in error.message


def test_a_workbook_without_a_charges_sheet_is_scrubbed_on_the_sheet_in_view(tmp_path: Path) -> None:
    """An export pasted into a workbook of its own (`Sheet1`): the macro scrubs the sheet the user is looking
    at, and shows it again when done (adding the report sheets shows them), so that running it again scrubs
    the same sheet. Before: a KeyError for `Charges`. Where the report is in view and there is no `Charges`,
    it says what to do."""
    book = openpyxl.load_workbook(as_xlsx(BASIC, tmp_path / "book.xlsx"))
    book["Charges"].title = "Sheet1"
    for _ in range(2):
        result = scrub_book(FakeBook(book), as_of=AS_OF)
        assert book.active.title == "Sheet1" and result.sheet.sheet_name == "Sheet1"
        assert book.sheetnames == ["Sheet1", "Scrub Report", "Scrub Summary"]
    book.active = book["Scrub Report"]
    with pytest.raises(UsageError, match=r"no sheet named 'Charges' \(sheets: Sheet1, Scrub Report, Scrub Summary\): "
                                         "name the charge sheet 'Charges', or run the scrub with it active"):
        scrub_book(FakeBook(book), as_of=AS_OF)


def test_a_sheet_the_scrub_cannot_read_is_said_in_a_message_box(tmp_path: Path) -> None:
    """The Scrub button on a sheet without a code column: Excel's message box says what the command line says
    in its one line, and the sheet is left as it was. Before: a Python traceback in Excel."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Charges"
    sheet.append(["Patient", "Date of Service", "Units"])
    sheet.append(["P1", datetime(2026, 3, 2), 2])
    excel = FakeBook(book)
    asyncio.run(pt_scrub(excel))
    [(prompt, title, mode)] = excel.app.alerts
    assert (title, mode) == ("ptcalc scrub", "critical") and "charges.xlsm" in prompt and "cpt" in prompt
    assert "Traceback" not in prompt and book.sheetnames == ["Charges"] and sheet.max_column == 3
    assert prompt.endswith("; head each column with one of those names (a header cell above its values)")
    assert "--columns" not in prompt  # the command line's way, not Excel's


def test_text_from_the_sheet_is_written_back_as_text_not_as_a_formula(tmp_path: Path) -> None:
    """Excel parses a value written into a cell as if typed: a patient id `=cmd|' /C calc'!A0` or a code `@SUM(1)`
    from the sheet, quoted in the report, would have become a formula. Written with a leading apostrophe, it
    stays text (the annotated copy writes it as text too)."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Charges"
    sheet.append(["patient_id", "dos", "cpt", "modifiers", "units", "minutes"])
    sheet.append(["=cmd|' /C calc'!A0", datetime(2026, 3, 2), "@SUM(1)", "GP", 1, 15])
    scrub_book(FakeBook(book), as_of=AS_OF)
    report = book["Scrub Report"]
    cells = [cell.value for row in report.iter_rows(min_row=2, min_col=2) for cell in row  # A: the links to lines
             if isinstance(cell.value, str)]
    assert "'=cmd|' /C calc'!A0" in cells and not any(text.startswith(("=", "+", "-", "@")) for text in cells)
    findings = sheet.cell(2, 8).value
    assert findings.startswith("DAT00")  # the line's own findings column: a rule ID first, text as it is


def test_the_status_colours_take_one_call_a_run_of_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each colour set is a call into Excel: rows of one status in a row are coloured in one call (a call per row
    took seconds on a long sheet), and every row still gets its status's colour."""
    calls = []
    colour = FakeRange.color.fset

    def counted(self: FakeRange, value: str | None) -> None:
        calls.append(value)
        colour(self, value)

    monkeypatch.setattr(FakeRange, "color", property(FakeRange.color.fget, counted))
    header, *lines = BASIC.read_text().splitlines()
    longer = tmp_path / "longer.csv"  # the basic sheet's lines 20 times over, each time other patients
    longer.write_text("\n".join([header] + [f"{line.split(',', 1)[0]}-{copy},{line.split(',', 1)[1]}"
                                            for copy in range(20) for line in lines if line]) + "\n")
    book = openpyxl.load_workbook(as_xlsx(longer, tmp_path / "book.xlsx"))
    scrub_book(FakeBook(book), as_of=AS_OF)
    sheet = book["Charges"]
    width = sheet.max_column - 3
    statuses = [sheet.cell(row, width + 1).value for row in range(2, sheet.max_row + 1)]
    runs = [status for status, _ in groupby(statuses) if status in ("ERROR", "WARN", "INFO", "NO_DATA")]
    assert len(calls) == 1 + len(runs) < len(statuses) / 2  # the column cleared once, then a call per run
    fills = {status: "#" + (sheet.cell(row, width + 1).fill.fgColor.rgb or "")[-6:]
             for row, status in enumerate(statuses, start=2) if status}
    assert fills["ERROR"] == "#FFC7CE" and fills["CLEAN"] == "#000000"


def test_excels_message_says_what_to_do_in_excel_not_on_the_command_line() -> None:
    """The engine's refusals name the command line's ways (`--columns`); in Excel the header cells are renamed."""
    excel = FakeBook(openpyxl.Workbook())
    say_in_excel(excel, UsageError(f"charges.xlsm: columns C (CPT) and D (Code) both mean 'cpt'; keep one, "
                                   f"{SAY_WHICH}"))
    say_in_excel(excel, UsageError(f"charges.xlsm: no header row names patient_id, dos, cpt, units: ...; "
                                   f"{NAME_THE_COLUMNS}"))
    assert [prompt for prompt, _, _ in excel.app.alerts] == [
        "charges.xlsm: columns C (CPT) and D (Code) both mean 'cpt'; keep one, or rename the other",
        "charges.xlsm: no header row names patient_id, dos, cpt, units: ...; head each column with one of those "
        "names (a header cell above its values)"]


def test_the_button_judges_with_the_clinics_settings_as_the_command_line_does(tmp_path: Path) -> None:
    """A clinic's ptcalc.yaml names its staff, its plans, its locality and the sheet its exports keep the charges
    on. Before, only `ptcalc scrub` read it: the button on the same saved export passed an assistant's line without
    CQ as a therapist's and a local Medicare Advantage plan as Medicare (three DAT008 notes and nothing else),
    priced at national rates, and scrubbed the sheet in view instead of the charges."""
    import json

    from .test_batch import STAFFED
    from .test_reference import run_cli

    clinic = tmp_path / "clinic"
    clinic.mkdir()
    book = openpyxl.Workbook()
    book.active.title = "Notes"
    week = book.create_sheet("Week")
    for line in STAFFED.splitlines():
        week.append(next(iter(__import__("csv").reader([line]))))
    book.active = book.sheetnames.index("Week")
    path = clinic / "export.xlsx"
    book.save(path)
    (clinic / "ptcalc.yaml").write_text("providers:\n  Kim Lee: PTA\n")

    alone = scrub_book(FakeBook(openpyxl.load_workbook(path), "export.xlsx"), as_of=AS_OF)  # no path: Lite's case
    assert {(f.row, f.rule) for f in alone.findings} == {(2, "DAT008"), (3, "DAT008"), (4, "DAT008")}
    assert "settings" not in alone.reading and "national rates" in alone.reading["locality"]

    book["Notes"].append(["Week of March 2: charges on the Week sheet"])
    book.active = book.sheetnames.index("Notes")  # the sheet in view is not the charges
    book.save(path)

    (clinic / "ptcalc.yaml").write_text("sheet: Week\nlocality: Manhattan\nproviders:\n  Kim Lee: PTA\n"
                                        "  Jane Smith: PT\n  1234567893: PTA\npayers:\n"
                                        "  Sunshine Senior Plan: medicare_advantage\n")
    saved = openpyxl.load_workbook(path)
    result = scrub_book(FakeBook(saved, "export.xlsx", str(path)), as_of=AS_OF)
    assert result.sheet.sheet_name == "Week" and "Scrub Report" in saved.sheetnames
    assert {(f.row, f.rule) for f in result.findings} == {(2, "MOD005"), (4, "MOD005")}  # no DAT008 left
    assert result.reading["settings"].endswith("ptcalc.yaml: locality 13202-01, sheet 'Week', 3 providers, "
                                               "1 payer name")
    command_line = json.loads(run_cli("scrub", str(path), "--format", "json", "--as-of", str(AS_OF)).stdout)
    assert [(f["row"], f["rule"], f["message"]) for f in command_line["findings"]] == \
        [(f.row, f.rule, f.message) for f in result.findings]
    assert command_line["reading"]["locality"] == result.reading["locality"]  # Manhattan's, said by the file
    said = [row[0].value for row in saved["Scrub Summary"].iter_rows() if isinstance(row[0].value, str)]
    assert any(text.startswith("settings: ") and text.endswith("1 payer name") for text in said)

    (clinic / "ptcalc.yaml").write_text("localty: Manhattan\n")
    excel = FakeBook(openpyxl.load_workbook(path), "export.xlsx", str(path))
    asyncio.run(pt_scrub(excel))
    [(prompt, _, _)] = excel.app.alerts
    assert prompt.endswith("ptcalc.yaml: 'localty' is not a setting (the settings: columns, locality, locations, "
                           "payers, providers, sheet, unit_method_conflict)")


def test_the_button_scrubs_a_grid_writing_each_visits_results_beside_its_row() -> None:
    """A clinic's charge grid in Excel (a row per visit, a column per code, units in the cells): each code is judged as
    a line, and the visit's row gets the most serious status of its lines, their findings each named by its code, and
    the report's rows link to the visit's row. Before: refused (no column is the code)."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Charges"
    rows = [["Patient", "DOS", "Mods", 97110, "97140 Manual", "Total Timed Minutes"],
            ["G1", datetime(2026, 3, 2), "GP", 2, 1, 45],        # 45 minutes, 3 units: clean
            ["G2", datetime(2026, 3, 2), "GP", 3, None, 20],     # 3 units for 20 minutes: UNT001
            ["G3", datetime(2026, 3, 3), None, 1, 1, 30],        # no GP on either line: MOD001 twice
            ["Total", None, None, 6, 2, None]]
    for row in rows:
        sheet.append(row)
    before = snapshot(sheet, 6)
    result = scrub_book(FakeBook(book), as_of=AS_OF)
    assert snapshot(sheet, 6) == before  # the user's cells untouched
    added = [[sheet.cell(r, c).value for c in (7, 8, 9)] for r in range(1, 6)]
    assert [row[0] for row in added] == ["Scrub Status", "CLEAN", "ERROR", "ERROR", "NOT A LINE"]
    assert added[2][1].startswith("UNT001 ") and added[2][2] == 1
    assert added[3][1].startswith("97110: MOD001 ") and "; 97140: MOD001 " in added[3][1]
    report = book["Scrub Report"]
    assert [(report.cell(r, 2).value, report.cell(r, 1).value) for r in range(2, 5)] == [
        ("UNT001", '=HYPERLINK("#\'Charges\'!A3","3")'), ("MOD001", '=HYPERLINK("#\'Charges\'!A4","4")'),
        ("MOD001", '=HYPERLINK("#\'Charges\'!A4","4")')]
    assert result.reading["reshaped"].startswith("a row per visit with a column per code (97110, 97140)")


def test_a_grid_the_button_cannot_read_says_what_reads_it() -> None:
    """A grid whose header names neither the patient nor the date: the message box says such a grid is read, not
    only which columns are missing."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Charges"
    sheet.append(["Who", "When", 97110, "97140 Manual"])
    sheet.append(["G1", datetime(2026, 3, 2), 2, 1])
    excel = FakeBook(book)
    asyncio.run(pt_scrub(excel))
    [(prompt, _, _)] = excel.app.alerts
    assert "97110 (C), 97140 Manual (D) head a column per code: the Scrub button reads a row per visit" in prompt
    assert "Traceback" not in prompt and book.sheetnames == ["Charges"]


def test_the_button_scrubs_a_visit_summary_with_numbered_codes_beside_its_rows() -> None:
    """`CPT 1`, `Units 1`, `CPT 2`…: as a grid, each visit's row gets its lines' results (before: refused)."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Charges"
    for row in (["Patient", "DOS", "CPT 1", "Units 1", "Min 1", "Mod 1", "CPT 2", "Units 2", "Min 2", "Mod 2"],
                ["V1", datetime(2026, 3, 2), "97110", 2, 30, "GP", "97140", 1, 15, "GP"],   # clean
                ["V2", datetime(2026, 3, 2), "97150", 1, 30, "GP", "97110", 1, 15, "GP"]):  # 97110 without 59
        sheet.append(row)
    scrub_book(FakeBook(book), as_of=AS_OF)
    assert [sheet.cell(r, 11).value for r in (1, 2, 3)] == ["Scrub Status", "CLEAN", "ERROR"]
    assert sheet.cell(3, 12).value.startswith("97110: PTP001 ")

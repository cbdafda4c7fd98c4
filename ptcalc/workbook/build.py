"""`ptcalc build-workbook`: the shipped billing workbook, rebuilt from reference/.

It starts from the xlwings standalone quickstart workbook, so the VBA project the xlwings
tooling provides (RunPython, ImportPythonUDFs, SampleCall) is kept. Its SampleCall macro and
the xlwings ribbon's *Run main* run `ptcalc.main()` for `ptcalc.xlsm`: the one-click scrub.
Formulas use plain A1 references and defined names only (no structured table references),
so the workbook also recalculates headlessly with `ptcalc recalc`.
"""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import importlib.util

import openpyxl
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.formula import ArrayFormula
from openpyxl.worksheet.table import Table, TableStyleInfo

from ..errors import PtcalcInputError, UsageError
from ..fees import visit_fee
from ..refdata import load_reference
from ..safe_write import atomic_save
from ..scrub.columns import COLUMNS, OUTPUT_HEADERS
from ..synthetic import charge_lines
from ..units import allocate_units
from .refsheets import print_layout, write_reference_sheets
from .style import BODY, font

def template() -> Path:
    """xlwings' standalone quickstart workbook (found without importing xlwings: the engine never does)."""
    spec = importlib.util.find_spec("xlwings")
    path = Path(spec.origin).parent / "quickstart_standalone.xlsm" if spec and spec.origin else None
    if path is None or not path.is_file():
        raise UsageError("xlwings' quickstart_standalone.xlsm was not found; install xlwings")
    return path
SHIPPED_NAME = "ptcalc.xlsm"
LAST_ROW = 200  # the Charges table's rows (header + 199 lines)
HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
HEADER_FONT = font(bold=True, color="FFFFFF")
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
MONEY = '"$"#,##0.00'
DATE = "yyyy-mm-dd"
DATE_COLUMNS = ("dos", "poc_start", "poc_certified", "progress_report")
CODE_COLUMNS = ("cpt", "patient_id", "pos", "locality", "claim_id", "modifiers")
WIDTHS = {"patient_id": 11, "dos": 12, "cpt": 8, "units": 7, "minutes": 9, "modifiers": 12, "payer_type": 19,
          "payer": 27, "provider_type": 13, "pta_minutes": 12, "pos": 6, "charge": 11, "poc_start": 12,
          "poc_certified": 13, "progress_report": 15, "ytd_prior": 11, "locality": 12, "claim_id": 10}
CENTERED = ("cpt", "units", "minutes", "provider_type", "pta_minutes", "pos", "locality")
COMPUTED = (("Units from minutes", 18), ("Fee (line alone)", 16), ("Allowed for the day", 18), ("KX status", 60))


def _discipline(provider_type: str) -> str:
    """The discipline a provider-type cell (or range) says, as the scrub groups visits: OT/OTA, SLP, else PT."""
    return f'IF(({provider_type}="OT")+({provider_type}="OTA"),"OT",IF({provider_type}="SLP","SLP","PT"))'


STATUS_COLOURS = (("ERROR", "FFC7CE"), ("WARN", "FFEB9C"), ("NO_DATA", "E7E6E6"))


def _letter(name: str) -> str:
    return get_column_letter([c.name for c in COLUMNS].index(name) + 1)


def _sample_lines() -> list[dict]:
    """A few days of a small synthetic clinic whose cells all compute (no unknown codes or text minutes)."""
    kept = []
    for line in charge_lines(400, seed=20260317, start=date(2026, 3, 2), until=date(2026, 3, 4), patients=8,
                             mistake_rate=0.25):
        try:
            if line["minutes"] != "":
                allocate_units([float(line["minutes"])], [line["cpt"]])
            visit_fee([line["cpt"]], [float(line["units"])])
        except (PtcalcInputError, ValueError, TypeError):
            continue
        kept.append(line)
    return kept[:60]


def _header(ws: openpyxl.worksheet.worksheet.Worksheet, row: int, labels: list[str]) -> None:
    for c, label in enumerate(labels, start=1):
        cell = ws.cell(row, c, label)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(vertical="center")


def _charges(wb: openpyxl.Workbook) -> None:
    ws = wb.create_sheet("Charges", 1)
    names = [c.name for c in COLUMNS]
    width = len(names)
    _header(ws, 1, names + [label for label, _ in COMPUTED] + list(OUTPUT_HEADERS))
    col = {name: _letter(name) for name in names}
    for r, line in enumerate(_sample_lines(), start=2):
        for name in names:
            value = line.get(name, "")
            if value == "":
                continue
            if name in DATE_COLUMNS:
                value = datetime.fromisoformat(value)
            elif name in ("units", "minutes", "pta_minutes", "charge", "ytd_prior"):
                value = float(value) if not float(value).is_integer() else int(float(value))
            ws[f"{col[name]}{r}"] = value
    span = f"2:${LAST_ROW}"
    rows = lambda letter: f"${letter}${span.split(':')[0]}:${letter}{span.split(':')[1]}"  # noqa: E731
    units, fee, day_fee, kx = (get_column_letter(width + i) for i in (1, 2, 3, 4))
    for r in range(2, LAST_ROW + 1):
        c = {name: f"{letter}{r}" for name, letter in col.items()}
        method = f'IFERROR(VLOOKUP(IF({c["payer_type"]}="","medicare",{c["payer_type"]}),PAYER_METHODS,2,FALSE),"CMS")'
        # The visit's units, not the line's alone: CMS's 8-minute rule pools the timed minutes of the patient's
        # visit (same date and discipline) and allocates its units across the codes (two 10-minute services are
        # one unit, not two). PT_UNITS over the table with other visits' cells blanked; this row's element.
        visit = (f'({rows(col["patient_id"])}={c["patient_id"]})*({rows(col["dos"])}={c["dos"]})'
                 f'*({_discipline(rows(col["provider_type"]))}={_discipline(c["provider_type"])})')
        formula = (f'=IF(OR({c["cpt"]}="",{c["minutes"]}=""),"",INDEX(PT_UNITS('
                   f'IF({visit},{rows(col["minutes"])},""),IF({visit},{rows(col["cpt"])},""),{method}),ROW()-1))')
        ws[f"{units}{r}"] = ArrayFormula(f"{units}{r}", formula)  # evaluated over arrays in every Excel
        ws[f"{fee}{r}"] = (f'=IF(OR({c["cpt"]}="",{c["units"]}=""),"",PT_FEE({c["cpt"]},{c["units"]},'
                           f'IF({c["locality"]}="","national",{c["locality"]}),{c["dos"]},{c["modifiers"]}))')
        # The patient's allowed amount for the day, on the day's first line: PT_FEE over all its lines, so the
        # therapy MPPR applies across them (each line's first unit is not paid in full); KX accrues on these.
        day = f'({rows(col["patient_id"])}={c["patient_id"]})*({rows(col["dos"])}={c["dos"]})'
        first_of_day = (f'COUNTIFS(${col["patient_id"]}$2:{c["patient_id"]},{c["patient_id"]},'
                        f'${col["dos"]}$2:{c["dos"]},{c["dos"]},${col["cpt"]}$2:{c["cpt"]},"<>")>1')  # coded lines
        formula = (f'=IF(OR({c["cpt"]}="",{c["units"]}="",{first_of_day}),"",PT_FEE(IF({day},{rows(col["cpt"])},""),'
                   f'IF({day},{rows(col["units"])},""),IF({c["locality"]}="","national",{c["locality"]}),{c["dos"]},'
                   f'IF({day},{rows(col["modifiers"])},"")))')
        ws[f"{day_fee}{r}"] = ArrayFormula(f"{day_fee}{r}", formula)
        same_patient = f'{rows(day_fee)},{rows(col["patient_id"])},{c["patient_id"]},{rows(col["dos"])}'
        ws[f"{kx}{r}"] = (f'=IF(OR({fee}{r}="",AND({c["payer_type"]}<>"",{c["payer_type"]}<>"medicare")),"",'
                          f'PT_KX_CHECK(N({c["ytd_prior"]})+SUMIFS({same_patient},"<"&{c["dos"]}),'
                          f'SUMIFS({same_patient},{c["dos"]}),{c["dos"]},{c["provider_type"]}))')
        for name in DATE_COLUMNS:
            ws[f"{col[name]}{r}"].number_format = DATE
        for name in CODE_COLUMNS:
            ws[f"{col[name]}{r}"].number_format = "@"
        ws[f"{col['charge']}{r}"].number_format = MONEY
        ws[f"{fee}{r}"].number_format = MONEY
        ws[f"{day_fee}{r}"].number_format = MONEY
        for c in range(1, width + len(COMPUTED) + len(OUTPUT_HEADERS) + 1):
            ws.cell(r, c).font = BODY
        for name in CENTERED:
            ws[f"{col[name]}{r}"].alignment = Alignment(horizontal="center")
        ws[f"{units}{r}"].alignment = Alignment(horizontal="center")
    last = get_column_letter(width + len(COMPUTED) + len(OUTPUT_HEADERS))
    ws.add_table(Table(displayName="tblCharges", ref=f"A1:{last}{LAST_ROW}",
                       tableStyleInfo=TableStyleInfo(name="TableStyleLight1", showRowStripes=True)))
    for name, formula, style in (("cpt", "CPT_CODES", "warning"), ("modifiers", "MODIFIERS", None),
                                 ("payer_type", "PAYER_TYPES", "stop"), ("provider_type", "PROVIDER_TYPES", "stop"),
                                 ("locality", "LOCALITIES", "warning")):
        validation = DataValidation(type="list", formula1=formula, allow_blank=True,
                                    showErrorMessage=style is not None, errorStyle=style or "stop",
                                    errorTitle="Not in the reference tables",
                                    error="Not in ptcalc's reference tables; the scrub will flag it.")
        ws.add_data_validation(validation)
        validation.add(f"{col[name]}2:{col[name]}{LAST_ROW}")
    status = get_column_letter(width + len(COMPUTED) + 1)
    for word, colour in STATUS_COLOURS:
        ws.conditional_formatting.add(f"A2:{get_column_letter(width + len(COMPUTED))}{LAST_ROW}", FormulaRule(
            formula=[f'${status}2="{word}"'], fill=PatternFill("solid", fgColor=colour, bgColor=colour)))
    for name, w in WIDTHS.items():
        ws.column_dimensions[col[name]].width = w
    for i, (_, w) in enumerate(COMPUTED, start=1):
        ws.column_dimensions[get_column_letter(width + i)].width = w
    for i, w in enumerate((12, 70, 14), start=1):
        ws.column_dimensions[get_column_letter(width + len(COMPUTED) + i)].width = w
    ws.freeze_panes = "C2"
    print_layout(ws, header_row=1)


def _inputs(ws: openpyxl.worksheet.worksheet.Worksheet, rows: list[tuple[str, object, str]], first: int) -> None:
    for r, (label, value, hint) in enumerate(rows, start=first):
        ws.cell(r, 1, label).font = font(bold=True)
        cell = ws.cell(r, 2, value)
        cell.fill, cell.font = INPUT_FILL, BODY
        ws.cell(r, 3, hint).font = font(italic=True, color="595959")


def _list_validation(ws: openpyxl.worksheet.worksheet.Worksheet, cell: str, name: str) -> None:
    validation = DataValidation(type="list", formula1=name, allow_blank=True)
    ws.add_data_validation(validation)
    validation.add(cell)


def _evaluation(wb: openpyxl.Workbook) -> None:
    ws = wb.create_sheet("Evaluation", 2)
    ws["A1"] = "PT evaluation tier (97161 / 97162 / 97163)"
    ws["A1"].font = font(bold=True, size=14)
    ws["A2"] = "Fill the yellow cells; every component must meet a tier, so the lowest one sets the code."
    _inputs(ws, [("Personal factors / comorbidities", 2, "0 = low, 1-2 = moderate, 3 or more = high"),
                 ("Exam elements", 3, "body structures/functions, activity limitations, participation "
                                      "restrictions: 1-2 low, 3 moderate, 4+ high"),
                 ("Clinical presentation", "evolving", "stable, evolving or unstable"),
                 ("Clinical decision making", None, "optional: low, moderate or high")], 4)
    _list_validation(ws, "B6", "PRESENTATIONS")
    _list_validation(ws, "B7", "DECISIONS")
    ws["A9"] = "Evaluation code"
    ws["A9"].font = font(bold=True, size=12)
    ws["B9"] = "=PT_EVAL_TIER(B4,B5,B6,B7)"
    ws["B9"].font = font(bold=True, size=12)
    ws["A11"] = "Medicare pays 97161, 97162 and 97163 the same; the tier is what an auditor checks."
    _header(ws, 13, ["Component", "97161 low", "97162 moderate", "97163 high"])
    for r, row in enumerate((("Personal factors / comorbidities", "none", "1-2", "3 or more"),
                             ("Exam elements", "1-2", "3 or more", "4 or more"),
                             ("Clinical presentation", "stable", "evolving", "unstable"),
                             ("Clinical decision making", "low", "moderate", "high")), start=14):
        for c, value in enumerate(row, start=1):
            ws.cell(r, c, value)
    for letter, w in zip("ABCD", (34, 16, 18, 80)):
        ws.column_dimensions[letter].width = w
    print_layout(ws)


COMMON_CODES = ("97161", "97162", "97163", "97164", "97110", "97112", "97116", "97140", "97530", "97535",
                "97150", "97035", "97012", "G0283", "97010")


def _fee_lookup(wb: openpyxl.Workbook, latest_year: int) -> None:
    ws = wb.create_sheet("Fee Lookup", 3)
    ws["A1"] = "Medicare fee look-up (non-facility PFS allowed amount)"
    ws["A1"].font = font(bold=True, size=14)
    _inputs(ws, [("Code", "97110", "CPT/HCPCS code"), ("Units", 2, "units of that code"),
                 ("Locality", "national", "national, or MAC-LL from the list (e.g. 13202-01 Manhattan)"),
                 ("Date of service or year", latest_year, "a date, or a year such as 2025"),
                 ("Modifiers", "GP", "CQ/CO lines are paid at 85%")], 3)
    ws["B3"].number_format = "@"
    _list_validation(ws, "B3", "CPT_CODES")
    _list_validation(ws, "B5", "LOCALITIES")
    ws["A9"] = "Allowed amount"
    ws["A9"].font = font(bold=True, size=12)
    ws["B9"] = "=PT_FEE(B3,B4,B5,B6,B7)"
    ws["B9"].number_format = MONEY
    ws["B9"].font = font(bold=True, size=12)
    ws["A10"] = "How it was computed"
    ws["B10"] = "=PT_FEE_EXPLAIN(B3,B4,B5,B6,B7)"
    ws["B10"].alignment = Alignment(wrap_text=True, vertical="top")
    ws.row_dimensions[10].height = 60
    _header(ws, 12, ["Code", "National, one unit", "Selected locality and date, one unit"])
    for r, code in enumerate(COMMON_CODES, start=13):
        ws.cell(r, 1, code).number_format = "@"
        ws.cell(r, 2, f'=PT_FEE(A{r},1,"national",$B$6)').number_format = MONEY
        ws.cell(r, 3, f"=PT_FEE(A{r},1,$B$5,$B$6)").number_format = MONEY
    for letter, w in zip("ABC", (24, 70, 36)):
        ws.column_dimensions[letter].width = w
    print_layout(ws)


def _kx_tracker(wb: openpyxl.Workbook, year: int) -> None:
    ws = wb.create_sheet("KX Tracker", 4)
    ws["A1"] = "KX threshold tracker (Medicare, per patient and calendar year)"
    ws["A1"].font = font(bold=True, size=14)
    ws["A2"] = ("Allowed on Charges adds the patient's 'Allowed for the day' (the PFS amount of each day, MPPR "
                "applied); a day with PT and OT is counted whole here, split by discipline in the scrub's MOD003 "
                "check.")
    _header(ws, 4, ["Patient", "Discipline", "Year", "Allowed before this sheet", "Allowed on Charges", "Status"])
    charges = wb["Charges"]
    patient_col, ytd_col = _letter("patient_id"), _letter("ytd_prior")
    fee_col = get_column_letter(len(COLUMNS) + 3)  # Allowed for the day
    patients = []
    for r in range(2, charges.max_row + 1):
        patient, payer = charges[f"{patient_col}{r}"].value, charges[f"{_letter('payer_type')}{r}"].value
        if patient and payer == "medicare" and patient not in [p for p, _ in patients]:
            patients.append((patient, charges[f"{ytd_col}{r}"].value or 0))
    for r, (patient, prior) in enumerate(patients, start=5):
        ws.cell(r, 1, patient).number_format = "@"
        ws.cell(r, 2, "PT")
        ws.cell(r, 3, year)
        ws.cell(r, 4, prior).number_format = MONEY
        ws.cell(r, 5, f"=SUMIFS(Charges!${fee_col}$2:${fee_col}${LAST_ROW},"
                      f"Charges!${patient_col}$2:${patient_col}${LAST_ROW},A{r})").number_format = MONEY
        ws.cell(r, 6, f"=PT_KX_CHECK(D{r},E{r},C{r},B{r})")
    for letter, w in zip("ABCDEF", (11, 11, 7, 22, 20, 90)):
        ws.column_dimensions[letter].width = w
    ws.freeze_panes = "A5"
    print_layout(ws, header_row=4)


START_TEXT = [
    ("ptcalc: outpatient PT billing workbook", "title"),
    ("Units (8-minute rule), evaluation tier, Medicare fees and the KX threshold as worksheet functions, and a "
     "one-click scrub of the day's charges before claims go out. Everything runs on this computer: no charge data "
     "leaves it.", None),
    ("", None),
    ("Set up on Windows with classic xlwings (free, offline)", "heading"),
    ("1. Install Python 3.10 or newer. In a terminal, in a copy of the ptcalc repository:  python -m pip install .  "
     "(or install the wheel built from it:  python -m pip install ptcalc-<version>-py3-none-any.whl). This also "
     "installs xlwings 0.37.8, the version whose VBA this workbook carries.", None),
    ("2. Install the matching xlwings add-in:  xlwings addin install  (it records which Python runs the functions; "
     "this workbook's xlwings.conf sheet names only the function module, so that choice is kept).", None),
    ("3. In Excel: File > Options > Trust Center > Trust Center Settings > Macro Settings: tick 'Trust access to "
     "the VBA project object model' (needed once, to import the functions).", None),
    ("4. Open this workbook and enable macros. The 'xlwings.conf' sheet already names the function module "
     "(UDF Modules = udfs.pt_udfs).", None),
    ("5. On the xlwings ribbon tab click 'Import Functions'. The Charges formulas now compute; try "
     "=PT_UNITS(38) in any cell (it shows 3). Bad input shows the reason as text in the cell (classic xlwings "
     "writes the error message there).", None),
    ("", None),
    ("Set up with xlwings Lite (Windows, Mac, Excel on the web; no local Python)", "heading"),
    ("1. Home > Add-ins: install 'xlwings Lite' from the Office add-in store, and open its task pane.", None),
    ("2. In the requirements.txt tab add the ptcalc wheel (build it with:  python -m pip wheel . --no-deps).", None),
    ("3. In the main.py tab write:  from udfs.pt_udfs import PT_UNITS, PT_UNITS_EXPLAIN, PT_EVAL_TIER, PT_FEE, "
     "PT_FEE_EXPLAIN, PT_KX_CHECK  and  from udfs.macros import pt_scrub", None),
    ("4. Save; the PT_* functions register themselves (no import step).", None),
    ("5. Try =PT_UNITS(38) in any cell (it shows 3).", None),
    ("", None),
    ("Scrub the charges with one click", "heading"),
    ("Classic xlwings: on the xlwings ribbon tab click 'Run main' (or Alt+F8 > SampleCall > Run). xlwings Lite: "
     "in the task pane choose pt_scrub and click Run.", None),
    ("Keep this file's name ptcalc.xlsm (any folder): classic xlwings' one-click macro imports the Python module "
     "named after the workbook, and ptcalc answers to 'ptcalc'. A renamed copy such as 'ptcalc (1).xlsm' stops "
     "with an import error: rename it back to ptcalc.xlsm, or scrub the file from a terminal with  ptcalc scrub "
     "<file>.", None),
    ("The scrub fills Scrub Status, Findings and Expected Units on Charges, and rebuilds the 'Scrub Report' and "
     "'Scrub Summary' sheets. Running it again replaces the results; your own cells are never changed.", None),
    ("A finding you have reviewed and accept (e.g. PTP001 where the record shows distinct sessions): write the rule "
     "and why in that line's scrub_override cell, e.g.  PTP001: group at 9am, 97110 alone at 2pm. The next scrub "
     "lists it as bypassed with your reason instead of an error.", None),
    ("", None),
    ("Sheets", "heading"),
    ("Charges: one row per claim line (dropdowns for codes, modifiers, payer and provider types). Units from "
     "minutes, Fee (line alone), Allowed for the day and KX status compute as you type. Units from minutes are "
     "the visit's: the 8-minute rule pools the timed minutes of the patient's visit (same date and discipline) "
     "and splits its units across the codes, so two 10-minute services show 1 and 0. Allowed for the day (on the "
     "day's first line) prices all the patient's lines of the day together, with the multiple-procedure "
     "reduction; the KX status adds those up.", None),
    ("Evaluation: the PT evaluation tier.   Fee Lookup: the PFS amount by locality and year.   KX Tracker: each "
     "Medicare patient against the KX threshold.", None),
    ("Ref_ sheets: the reference tables (fee schedules, GPCIs, MUEs, NCCI pairs, payer profiles, thresholds). "
     "Edit them, then run  ptcalc sync ptcalc.xlsm --to-yaml  to save the edits to reference/*.yaml (the source "
     "of truth); after editing the YAML, run  ptcalc sync ptcalc.xlsm  to refresh the sheets.", None),
    ("", None),
    ("Without Excel", "heading"),
    ("ptcalc scrub charges.xlsx  writes an annotated copy, a report and a summary;  ptcalc recalc ptcalc.xlsm  "
     "computes every formula of this workbook headlessly.", None),
]


def _start(ws: openpyxl.worksheet.worksheet.Worksheet, versions: str) -> None:
    ws.title = "Start"
    for r, (text, kind) in enumerate(START_TEXT + [("", None), (versions, None)], start=1):
        cell = ws.cell(r, 1, text)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        cell.font = BODY
        ws.row_dimensions[r].height = 16 * max(1, -(-len(text) // 82))  # wrapped lines at this column width
        if kind == "title":
            cell.font = font(bold=True, size=16, color="1F4E79")
        elif kind == "heading":
            cell.font = font(bold=True, size=12, color="1F4E79")
    ws.column_dimensions["A"].width = 95
    ws.row_dimensions[1].height = 24
    ws.sheet_view.showGridLines = False
    print_layout(ws)


def _xlwings_conf(wb: openpyxl.Workbook) -> None:
    """Only what ptcalc needs: the UDF module. Every other setting (the interpreter above all) comes
    from the user's add-in settings, which `xlwings addin install` records; a row here would override it."""
    ws = wb["_xlwings.conf"]
    ws.title = "xlwings.conf"  # the leading underscore deactivates it; without it the settings apply
    ws.delete_rows(1, ws.max_row)
    ws["A1"], ws["B1"] = "UDF Modules", "udfs.pt_udfs"
    ws.column_dimensions["A"].width = 18
    ws.column_dimensions["B"].width = 24
    print_layout(ws)


def build_workbook(target: Path, reference_dir: Path) -> None:
    """Write the billing workbook to `target` from the xlwings template and the tables in reference_dir."""
    ref = load_reference(reference_dir)
    wb = openpyxl.load_workbook(template(), keep_vba=True)
    latest = ref.latest_fee_schedule
    versions = (f"Reference data in this workbook: fee schedule {latest.release}; GPCIs "
                f"{', '.join(str(y) for y in sorted(ref.gpcis))}; MUE {ref.mue.release}; NCCI PTP {ref.ptp.release}.")
    _start(wb["Sheet1"], versions)
    _charges(wb)
    _evaluation(wb)
    _fee_lookup(wb, latest.year)
    _kx_tracker(wb, latest.year)
    _xlwings_conf(wb)
    write_reference_sheets(wb, reference_dir)
    wb.active = 0
    atomic_save(target, wb.save)

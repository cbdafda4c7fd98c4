"""Every kind of file an "Export to Excel" writes reads to the same lines and the same findings: a
workbook (xlsx, xls, ods), delimited text or an HTML table named .xls, an Excel 2003 XML spreadsheet.
What a file is comes from its bytes, not its name."""
from __future__ import annotations

import html
import json
import zipfile
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape

import openpyxl
import pytest

from ptcalc.scrub import scrub_file
from ptcalc.scrub.runner import ScrubResult

from .test_reference import run_cli

AS_OF = date(2026, 11, 22)
DATA = Path(__file__).parent / "data"
TITLE = "Charge Detail Report"
HEADER = ["Patient ID", "Date of Service", "CPT", "Modifiers", "Units", "Minutes", "Payer", "Provider Type"]
LINES = [
    ["E100", date(2026, 3, 2), "97161", "GP", 1, 30, "Medicare", "PT"],     # evaluation + 97140: no NCCI edit
    ["E100", date(2026, 3, 2), "97140", "GP", 1, 15, "Medicare", "PT"],
    ["E200", date(2026, 3, 3), "97110", "", 1, 15, "Medicare", "PT"],       # no GP: MOD001
    ["E300", date(2026, 3, 4), "97150", "GP", 1, 20, "Medicare", "PT"],     # group + 97110 without 59: PTP001
    ["E300", date(2026, 3, 4), "97110", "GP", 2, 30, "Medicare", "PT"],
    ["E400", date(2026, 3, 5), "97110", "GP", 3, 30, "Medicare", "PT"],     # 30 minutes are 2 units: UNT001
]
# Each finding (line index, rule); the other lines must come out clean.
EXPECTED = {(2, "MOD001"), (4, "PTP001"), (5, "UNT001")}
FIRST = 3  # a title row and a blank row above the header: line 0 is sheet row 4


def _cell(value: object) -> str:
    return f"{value:%m/%d/%Y}" if isinstance(value, date) else str(value)


def scrub_text(folder: Path, text: str, name: str = "charges.txt") -> ScrubResult:
    """The scrub of a text file holding `text`."""
    path = folder / name
    path.write_text(text)
    return scrub_file(path, as_of=AS_OF)


def write_html(path: Path) -> None:
    """What web practice-management systems save as charges.xls: a page with a title table and the charges."""
    cells = lambda row, tag: "".join(f"<{tag}>{html.escape(_cell(v)) or '&nbsp;'}</{tag}>" for v in row)  # noqa: E731
    body = "\n".join(f"<tr>{cells(line, 'td')}</tr>" for line in LINES)
    path.write_text(f'<html><head><meta charset="utf-8"><style>td {{mso-number-format:"\\@";}}</style></head><body>'
                    f'<table><tr><td colspan="8"><b>{TITLE}</b></td></tr></table>\n<table><tr><td></td></tr>'
                    f'<thead><tr>{cells(HEADER, "th")}</tr></thead><tbody>\n{body}\n</tbody></table></body></html>')


def write_text(path: Path) -> None:
    rows = [[TITLE], [], HEADER, *LINES]
    path.write_text("".join("\t".join(map(_cell, row)) + "\r\n" for row in rows))


def write_columns_of_spaces(path: Path) -> None:
    """A report printed to a file (Excel's "Formatted Text (Space delimited)" too): each column padded to its
    widest value, numbers aligned right, the title centred over the table."""
    cells = [HEADER, *[list(map(_cell, line)) for line in LINES]]
    widths = [max(len(row[c]) for row in cells) for c in range(len(HEADER))]
    right = {HEADER.index("Units"), HEADER.index("Minutes")}
    lines = ["  ".join(cell.rjust(w) if c in right else cell.ljust(w) for c, (cell, w) in enumerate(zip(row, widths)))
             for row in cells]
    path.write_text("\n".join([TITLE.center(len(lines[0])), "", *lines]) + "\n")


def write_excel_prn(path: Path) -> None:
    """Excel's "Formatted Text (Space delimited)": each column as wide as its widest value and one space, text and
    headings at the left, numbers at the right (a date filling its column leaves one space before the code)."""
    cells = [HEADER, *[list(map(_cell, line)) for line in LINES]]
    widths = [max(len(row[c]) for row in cells) + 1 for c in range(len(HEADER))]
    numbers = {HEADER.index("Units"), HEADER.index("Minutes")}
    lines = ["".join(cell.rjust(w - 1) + " " if c in numbers and r else cell.ljust(w)
                     for c, (cell, w) in enumerate(zip(row, widths))).rstrip() for r, row in enumerate(cells)]
    path.write_text("\r\n".join([TITLE, "", *lines]) + "\r\n")


def write_spreadsheet_2003(path: Path) -> None:
    """Excel 2003 XML: typed cells, a merged title, a row placed by ss:Index, a cell placed by ss:Index."""
    def cell(value: object, column: int) -> str:
        if value == "":
            return ""
        kind, text = ("Number", str(value)) if isinstance(value, int) else \
            ("DateTime", f"{value:%Y-%m-%d}T00:00:00.000") if isinstance(value, date) else ("String", escape(value))
        return f'<Cell ss:Index="{column}"><Data ss:Type="{kind}">{text}</Data></Cell>'

    rows = "\n".join("<Row>" + "".join(cell(v, c) for c, v in enumerate(line, start=1)) + "</Row>" for line in LINES)
    path.write_text('<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n'
                    '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
                    'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet">\n'
                    '<Worksheet ss:Name="Charges"><Table>\n'
                    f'<Row><Cell ss:MergeAcross="7"><Data ss:Type="String">{TITLE}</Data></Cell></Row>\n'
                    '<Row ss:Index="3">' + "".join(cell(h, c) for c, h in enumerate(HEADER, start=1)) + "</Row>\n"
                    f"{rows}\n</Table></Worksheet></Workbook>\n")


def write_ods(path: Path) -> None:
    def cell(value: object) -> str:
        if isinstance(value, int):
            return f'<table:table-cell office:value-type="float" office:value="{value}"><text:p>{value}</text:p></table:table-cell>'
        if isinstance(value, date):
            return (f'<table:table-cell office:value-type="date" office:date-value="{value:%Y-%m-%d}">'
                    f"<text:p>{_cell(value)}</text:p></table:table-cell>")
        return f'<table:table-cell office:value-type="string"><text:p>{escape(value)}</text:p></table:table-cell>'

    rows = [[TITLE], [""], HEADER, *LINES]
    table = "".join("<table:table-row>" + "".join(map(cell, row)) + "</table:table-row>" for row in rows)
    content = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content '
               'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
               f'<office:body><office:spreadsheet><table:table table:name="Charges">{table}</table:table>'
               "</office:spreadsheet></office:body></office:document-content>")
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        archive.writestr("content.xml", content)
        archive.writestr("META-INF/manifest.xml", (
            '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
            'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry '
            'manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
            '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>'))


def write_xlsx(path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Charges"
    for row in [[TITLE], [], HEADER, *LINES]:
        sheet.append(row)
    book.save(path)


STRICT = {b"http://schemas.openxmlformats.org/spreadsheetml/2006/main": b"http://purl.oclc.org/ooxml/spreadsheetml/main",
          b"http://schemas.openxmlformats.org/officeDocument/2006/relationships":
              b"http://purl.oclc.org/ooxml/officeDocument/relationships"}


def to_strict(path: Path) -> None:
    """The workbook as Excel saves it as "Strict Open XML Spreadsheet": ISO 29500 Strict's namespaces."""
    with zipfile.ZipFile(path) as archive:
        members = [(info, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in members:
            for transitional, strict in STRICT.items():
                data = data.replace(transitional, strict)
            archive.writestr(info, data)


def write_strict_xlsx(path: Path) -> None:
    write_xlsx(path)
    to_strict(path)


def write_prefixed_xlsx(path: Path) -> None:
    from .test_sheet_parts import prefix_sheet

    write_xlsx(path)
    prefix_sheet(path)


def copy_xls(path: Path) -> None:
    """A BIFF8 workbook as PM systems of the 2000s still write, made once with xlwt 1.3.0 (not a
    dependency) from the rows above; `test_the_xls_fixture_holds_the_lines` keeps the two together."""
    path.write_bytes((DATA / "charges_export.xls").read_bytes())


def write_tab_stops(path: Path) -> None:
    """A report printed to text with tabs: each value followed by as many tabs as take the next to its column's tab
    stop (every 8 characters), a blank cell (E200's modifiers) its stop left empty."""
    cells = [HEADER, *[list(map(_cell, line)) for line in LINES]]
    stops = [(max(len(row[c]) for row in cells) // 8 + 1) * 8 for c in range(len(HEADER))]

    lines = ["".join(cell + "\t" * (stop // 8 - len(cell) // 8) for cell, stop in zip(row[:-1], stops)) + row[-1]
             for row in cells]
    path.write_text("\n".join([TITLE, "", *lines]) + "\n")


KINDS = {"xlsx": ("charges.xlsx", write_xlsx), "xlsx, Strict Open XML": ("charges.xlsx", write_strict_xlsx),
         "xlsx, prefixed elements (.NET)": ("charges.xlsx", write_prefixed_xlsx), "xls": ("charges.xls", copy_xls),
         "ods": ("charges.ods", write_ods), "html named xls": ("charges.xls", write_html),
         "text named xls": ("charges.xls", write_text), "excel 2003 xml named xls": ("charges.xls", write_spreadsheet_2003),
         "excel 2003 xml": ("charges.xml", write_spreadsheet_2003),
         "columns of spaces (.prn)": ("charges.prn", write_columns_of_spaces),
         "report printed to .txt": ("charges.txt", write_columns_of_spaces),
         "Excel formatted text (.prn)": ("charges.prn", write_excel_prn),
         "report printed to .txt with tabs": ("charges.txt", write_tab_stops)}


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_of_export_reads_to_the_same_findings(kind: str, tmp_path: Path) -> None:
    name, write = KINDS[kind]
    path = tmp_path / name
    write(path)
    result = scrub_file(path, as_of=AS_OF)
    assert [(line.row, line.patient_id, line.dos, line.cpt, line.units, line.minutes, line.modifiers)
            for line in result.lines] == [
        (FIRST + 1 + i, pid, dos, cpt, units, minutes, (mods,) if mods else ())
        for i, (pid, dos, cpt, mods, units, minutes, _, _) in enumerate(LINES)]
    failing = {(f.row - FIRST - 1, f.rule) for f in result.findings if f.status == "fail" and f.severity != "info"}
    assert failing == EXPECTED  # and nothing on the evaluation + 97140 visit, the title or the header


@pytest.mark.parametrize("dialect", ["transitional", "strict", "prefixed"])
def test_error_cells_and_date_formats_are_read_in_every_xlsx_dialect(dialect: str, tmp_path: Path) -> None:
    """python-calamine reads an Excel error cell as empty; ptcalc finds it in the sheet's XML (a broken cell is not a
    missing one), and the user's date format for the annotated copy: in Strict Open XML and in prefixed elements
    too (both were missed: the workbook's namespace, the sheet's prefix)."""
    from ptcalc.scrub.reader import column_number_formats, read_sheet

    from .test_sheet_parts import prefix_sheet

    path = tmp_path / "charges.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["patient_id", "dos", "cpt", "units"])
    sheet.append(["P1", date(2026, 3, 2), "97110", "#N/A"])
    sheet["B2"].number_format = "mm/dd/yyyy"
    book.save(path)
    if dialect == "strict":
        to_strict(path)
    elif dialect == "prefixed":
        prefix_sheet(path)
    read = read_sheet(path)
    assert read.rows[1][0] == "P1" and read.rows[1][3] == "#N/A"
    assert column_number_formats(read, 2) == {1: "mm/dd/yyyy"}


def test_the_xls_fixture_holds_the_lines() -> None:
    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_path(str(DATA / "charges_export.xls")).get_sheet_by_name("Charges").to_python()
    assert rows[0][0] == TITLE and rows[2] == HEADER
    assert [[v if v != "" else "" for v in row] for row in rows[3:]] == [
        [pid, dos, cpt, mods, units, minutes, payer, provider] for pid, dos, cpt, mods, units, minutes, payer, provider in LINES]


def test_a_web_export_and_a_text_export_say_what_they_were_read_as(tmp_path: Path) -> None:
    page, text = tmp_path / "web.xls", tmp_path / "text.xls"
    write_html(page)
    write_text(text)
    for path, said in ((page, "a web page named .xls"), (text, "delimited text named .xls")):
        result = run_cli("scrub", str(path), "--format", "json", "--as-of", AS_OF.isoformat())
        assert result.returncode == 1 and said in json.loads(result.stdout)["reading"]["source_problems"][0]
        assert f"note: {path.name}: file type: {said}" in result.stderr
        refused = run_cli("scrub", str(path), "--sheet", "Charges", "--format", "json")
        assert refused.returncode == 2 and "--sheet applies to workbooks" in refused.stderr


@pytest.mark.parametrize("content", [b"\x00\x01garbage\x02", b"", b'<?xml version="1.0"?><Workbook><Row/></Workbook>'],
                         ids=["binary", "empty", "not a spreadsheet"])
@pytest.mark.parametrize("suffix", [".xls", ".xml"])
def test_a_file_that_is_no_workbook_is_refused_in_one_line(content: bytes, suffix: str, tmp_path: Path) -> None:
    path = tmp_path / f"charges{suffix}"
    path.write_bytes(content)
    result = run_cli("scrub", str(path), "--format", "json")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [f"ptcalc scrub: {path}: not a readable Excel workbook "
                                                  "(neither a workbook, a web page nor text)"]


@pytest.mark.parametrize("command", ["scrub", "columns"])
def test_an_encrypted_workbook_is_refused_saying_so_and_what_to_do(command: str, tmp_path: Path) -> None:
    """A workbook saved with a password to open it (or a sensitivity label that protects it) is an OLE2 file
    holding an EncryptedPackage. Before: "invalid Zip archive: Could not find EOCD". The fixture is a
    synthetic one-line sheet encrypted with msoffcrypto-tool (password `synthetic`)."""
    path = tmp_path / "charges.xlsx"
    path.write_bytes((DATA / "encrypted_charges.xlsx").read_bytes())
    result = run_cli(command, str(path), *(["--format", "json"] if command == "scrub" else []))
    assert result.returncode == 2 and result.stdout == ""
    [said] = result.stderr.strip().splitlines()
    assert "the workbook is encrypted" in said and "save a copy without the password" in said
    damaged = tmp_path / "damaged.xlsx"  # an OLE2 file that is not encrypted: calamine's own words
    damaged.write_bytes((DATA / "encrypted_charges.xlsx").read_bytes().replace(
        "EncryptedPackage".encode("utf-16-le"), "SomethingElse123".encode("utf-16-le")))
    assert "not a readable Excel workbook" in run_cli(command, str(damaged)).stderr


@pytest.mark.parametrize("name", ["exports.zip", "charges.xlsx"])
def test_a_zip_of_exports_is_refused_saying_what_it_holds_and_what_to_do(name: str, tmp_path: Path) -> None:
    """A practice-management system's download of several exports is a zip archive; before, "not a readable Excel
    workbook (Cannot detect file format)" — or, named .xlsx, "(File not found '_rels/.rels')"."""
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as archive:
        for clinic in ("north", "south", "east", "west"):
            archive.writestr(f"{clinic}/week.csv", "patient_id,dos,cpt,units\nP1,2026-03-02,97110,1\n")
    result = run_cli("scrub", str(path), "--format", "json")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        f"ptcalc scrub: {path}: a zip archive, not a workbook (it holds north/week.csv, south/week.csv, east/week.csv "
        "and 1 more): unzip it and scrub the files, or the folder they are in"]
    workbook = tmp_path / "real.xlsx"  # a workbook is a zip too: read as one
    book = openpyxl.Workbook()
    book.active.append(["patient_id", "dos", "cpt", "units", "minutes", "modifiers"])
    book.active.append(["P1", "2026-03-02", "97110", 1, 15, "GP"])
    book.save(workbook)
    assert run_cli("scrub", str(workbook), "--format", "json", "--as-of", "2026-04-01").returncode == 0


@pytest.mark.parametrize("name", ["charges.numbers", "charges.xlsx"])
def test_an_apple_numbers_document_is_refused_saying_how_to_export_it(name: str, tmp_path: Path) -> None:
    """A Mac's spreadsheet saved as one file is a zip of Numbers' own index; before: "a zip archive, not a workbook
    (it holds Index/Document.iwa, ...): unzip it and scrub the files", which holds no sheet to scrub."""
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as archive:
        for member in ("Index/Document.iwa", "Index/Tables/DataList.iwa", "Metadata/Properties.plist", "preview.jpg"):
            archive.writestr(member, b"\x00" * 64)
    result = run_cli("scrub", str(path), "--format", "json")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        f"ptcalc scrub: {path}: an Apple Numbers document, not a workbook: in Numbers, File > Export To > Excel (or "
        "CSV), and scrub that"]


@pytest.mark.parametrize("name", ["Charge Detail.pdf", "REPORT.PDF"])
def test_a_pdf_report_is_refused_saying_to_export_its_data(name: str, tmp_path: Path) -> None:
    """A practice-management report saved as PDF (what "Print" gives): before, "unsupported file type '.pdf'" and a
    list of the types ptcalc reads, nothing of where to get one."""
    path = tmp_path / name
    path.write_bytes(b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n")
    result = run_cli("scrub", str(path), "--format", "json")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        f"ptcalc scrub: {path}: a PDF is the report as printed, not its data: export the report from the system as "
        "Excel or CSV (practice-management reports offer it beside Print), and scrub that"]


@pytest.mark.parametrize("text, delimiter", [
    ("Charge Detail Report\r\n\r\nPatient\tDOS\tCPT\tUnits\r\nDoe, Jane\t03/02/2026\t97110\t1\r\n", "\t"),
    ("patient,dos,cpt,units,note\nP1,2026-03-02,97110,1,a; b; c; d; e; f; g\nP2,2026-03-02,97110,1,\n", ","),
    ('patient;dos;cpt;minutes\nP1;2026-03-02;97110;"12,5"\n', ";"),
    ("patient|dos|cpt|units\nP1|2026-03-02|97110|1\n", "|"),
    ("one column\nvalue\n", ","),
], ids=["tab below a title", "comma with semicolons in a note", "semicolon", "bar", "one column"])
def test_the_delimiter_is_the_one_most_lines_agree_on(text: str, delimiter: str) -> None:
    from ptcalc.scrub.reader import _sniff_delimiter

    assert _sniff_delimiter(text) == delimiter


@pytest.mark.parametrize(("cells", "said"), [
    ('<Row><Cell ss:Index="99999999"><Data ss:Type="String">x</Data></Cell></Row>',
     "a column placed at ss:Index='99999999'"),
    ('<Row><Cell ss:Index="3"/><Cell ss:Index="2"/></Row>', "a column placed at ss:Index='2'"),
    ('<Row ss:Index="x"/>', "a row placed at ss:Index='x'"),
    ('<Row ss:Index="1048576"><Cell ss:Index="16000"/></Row>', "the sheet reaches row 1,048,576 and column 16,000"),
], ids=["far column", "backwards", "not a number", "too many cells"])
def test_an_excel_2003_sheet_placing_cells_beyond_a_sheet_is_refused_in_one_line(cells: str, said: str,
                                                                                   tmp_path: Path) -> None:
    path = tmp_path / "hostile.xml"
    path.write_text('<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
                    f'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet><Table>{cells}</Table>'
                    "</Worksheet></Workbook>")
    result = run_cli("scrub", str(path), "--format", "json")
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1 and said in result.stderr


def test_an_html_export_whose_header_cells_span_two_rows_lines_up_as_on_the_page(tmp_path: Path) -> None:
    # `Modifiers` over 1..4 beside headers that span both rows (rowspan). Before: the second header row's
    # cells shifted left under Acct #, DOS, CPT: a line of `1`, `2`, `3` (DAT001, DAT002, DAT005), and the
    # 59 in the second modifier column was never read (PTP001 fail on a bill that carries it).
    page = tmp_path / "report.xls"
    page.write_text(
        '<html><body><table border="1"><tr><td colspan="9"><b>Charge Report</b></td></tr>'
        '<tr><th rowspan="2">Acct #</th><th rowspan="2">DOS</th><th rowspan="2">CPT</th><th colspan="4">Modifiers'
        '</th><th rowspan="2">Units</th><th rowspan="2">Minutes</th></tr>'
        '<tr><th>1</th><th>2</th><th>3</th><th>4</th></tr>'
        '<tr><td>H1</td><td>03/02/2026</td><td>97150</td><td>GP</td><td></td><td></td><td></td><td>1</td><td>30</td></tr>'
        '<tr><td>H1</td><td>03/02/2026</td><td>97110</td><td>GP</td><td>59</td><td></td><td></td><td>1</td><td>15</td></tr>'
        '<tr><td rowspan="2">H2</td><td rowspan="2">03/02/2026</td><td>97110</td><td></td><td></td><td></td><td></td>'
        '<td>1</td><td>15</td></tr>'
        '<tr><td>97530</td><td>GP</td><td></td><td></td><td></td><td>1</td><td>15</td></tr>'   # H2's, spanned
        '</table></body></html>')
    result = scrub_file(page, as_of=AS_OF)
    assert result.reading["header_rows"] == [2, 3] and len(result.lines) == 4
    assert [(f.row, f.rule, f.status) for f in result.findings] == [
        (5, "PTP001", "bypassed"), (6, "MOD001", "fail"), (7, "DAT008", "fail")]
    assert result.findings[-1].message.startswith("carried down: patient, date")   # a cell spanning the visit


def test_excels_owner_file_named_on_the_command_line_says_which_workbook_to_scrub(tmp_path: Path) -> None:
    """`ptcalc scrub ~$charges.xlsx` (a shell's completion, `*.xlsx` on Windows while the workbook is open): the
    165-byte file Excel writes beside an open workbook, holding the user's name. Before: "not a readable Excel
    workbook (neither a workbook, a web page nor text)". A folder's owner files are passed over (test_batch)."""
    (tmp_path / "charges.xlsx").write_bytes((DATA / "encrypted_charges.xlsx").read_bytes())  # any file of that name
    owner = tmp_path / "~$charges.xlsx"
    owner.write_bytes(b"\x0aPat Biller" + b" " * 44 + b"\x0a\x00P\x00a\x00t" + b"\x00" * 100)
    result = run_cli("scrub", str(owner), "--format", "json")
    assert result.returncode == 2 and result.stdout == ""
    [said] = result.stderr.strip().splitlines()
    assert "Excel's owner file of a workbook open in Excel" in said and said.endswith(": scrub charges.xlsx")
    (tmp_path / "charges.xlsx").unlink()
    assert run_cli("scrub", str(owner)).stderr.strip().endswith(": scrub the workbook it marks")


@pytest.mark.parametrize("delimiter", [",", "\t", ";"])
def test_every_line_one_field_wider_than_the_header_is_a_column_without_heading_said_once(delimiter: str,
                                                                                          tmp_path: Path) -> None:
    """A writer that always adds a field the header lacks: not a value split here and there (DAT002 on each
    line would be a false alarm on every line), but said, since a split value alike on every line reads so too."""
    lines = [["P1", "03/02/2026", "97110", "2", "30", "GP", "North"],
             ["P2", "03/02/2026", "97140", "1", "15", "GP", "West"],
             *[[f"P{i}", "03/03/2026", "97110", "1", "15", "GP", "North"] for i in range(3, 60_000)]]  # two chunks
    path = tmp_path / "charges.csv"
    path.write_text("\n".join(delimiter.join(row) for row in [["Patient", "DOS", "CPT", "Units", "Minutes",
                                                                "Modifiers"], *lines]) + "\n")
    result = scrub_file(path, as_of=AS_OF, stream=True)
    assert not [f for f in result.findings if f.rule == "DAT002"]
    notes = [note for note in result.reading["source_problems"] if "past the header" in note]
    assert notes == ["every line has a value past the header's 6 columns (e.g. 'North'): a column without a "
                     "heading, not read; if the export split a value holding the delimiter (no quotes), the values "
                     "after it are read under the wrong headings: check the lines' patients and codes"]


def test_cells_past_the_last_heading_of_a_workbook_are_notes_not_split_values(tmp_path: Path) -> None:
    """Only delimited text splits a value: a workbook's cell typed past the header is a note beside the line."""
    book = openpyxl.Workbook()
    book.active.append(["Patient", "DOS", "CPT", "Units", "Minutes", "Modifiers"])
    book.active.append(["P1", "03/02/2026", "97110", 2, 30, "GP", "called the payer", "twice"])
    book.active.append(["P2", "03/02/2026", "97140", 1, 15, "GP"])
    book.save(tmp_path / "charges.xlsx")
    result = scrub_file(tmp_path / "charges.xlsx", as_of=AS_OF)
    assert not [f for f in result.findings if f.rule == "DAT002"] and len(result.lines) == 2
    assert not [note for note in result.reading.get("source_problems", []) if "past the header" in note]


REPORT = """\
                         CHARGE DETAIL REPORT
Sunrise Physical Therapy                              Printed: 11/24/2026

Patient       Name              DOS         CPT    Mod     Units  Minutes
------------  ----------------  ----------  -----  ------  -----  -------
A100          Smith, John       03/02/2026  97110  GP          2       30
A100          Smith, John       03/02/2026  97140  GP 59       1       15
A200          Lee Ann           03/02/2026  97150  GP          1       20
A200          Lee Ann           03/02/2026  97110  GP          2       30
A300          O'Neil, Pat       03/03/2026  97110  GP          3       30
\f
                                                         Page 1 of 1
"""


def test_a_report_printed_to_text_is_read_where_its_columns_line_up(tmp_path: Path) -> None:
    """Columns of spaces, a comma in some names (not a csv for it), a modifier cell holding two, a rule line
    under the header, a form feed and a page footer."""
    result = scrub_text(tmp_path, REPORT)
    read = [(line.row, line.patient_id, line.cpt, line.modifiers, line.units, line.minutes) for line in result.lines]
    assert read == [(6, "A100", "97110", ("GP",), 2, 30), (7, "A100", "97140", ("GP", "59"), 1, 15),
                    (8, "A200", "97150", ("GP",), 1, 20), (9, "A200", "97110", ("GP",), 2, 30),
                    (10, "A300", "97110", ("GP",), 3, 30)]
    assert result.reading["fields"]["minutes"] == "Minutes (G)" and result.reading["header_row"] == 4
    assert result.reading["not_claim_lines"] == {"5": "a rule line (---- under the header or between groups)",
                                                 "13": "Page 1 of 1"}
    assert sorted((f.row, f.rule) for f in result.findings) == [(7, "MOD010"), (9, "PTP001"), (10, "UNT001")]
    assert "text in columns of spaces" in result.reading["source_problems"][0]


@pytest.mark.parametrize("text", [
    "patient_id,  dos,         cpt,    units,  minutes\nP1,          2026-03-02,  97110,  2,      30\n"
    "P2,          2026-03-02,  97140,  1,      15\n",
    "patient_id\tdos\tcpt\tunits\tminutes\tnote\nP1\t2026-03-02\t97110\t2\t30\tcalled  twice,  no  answer\n"
    "P2\t2026-03-02\t97140\t1\t15\tleft  a  message  again\n"], ids=["padded csv", "tabs, notes with double spaces"])
def test_delimited_text_with_runs_of_spaces_stays_delimited(text: str, tmp_path: Path) -> None:
    result = scrub_text(tmp_path, text)
    assert [(line.patient_id, line.cpt, line.units, line.minutes) for line in result.lines] == [
        ("P1", "97110", 2, 30), ("P2", "97140", 1, 15)]
    assert not [note for note in result.reading.get("source_problems", []) if "columns of spaces" in note]


def test_a_printed_reports_headings_of_several_words_are_one_column_each(tmp_path: Path) -> None:
    """`Patient ID`: no line fills the space between its words, yet it is one heading (columns are apart by two
    spaces or more), on every page the header is printed again; numbers aligned right under wider headings."""
    header = "Patient ID    Date of Service   CPT Code   Units   Time (min)   Modifiers\n"
    result = scrub_text(tmp_path, header + "A100          03/02/2026        97110          2           30   GP\n\n"
                                  + header + "A100          03/02/2026        97140          1           15   GP\n",
                        "charges.prn")
    assert result.reading["fields"] == {"patient_id": "Patient ID (A)", "dos": "Date of Service (B)",
                                        "cpt": "CPT Code (C)", "units": "Units (D)", "minutes": "Time (min) (E)",
                                        "modifiers": "Modifiers (F)"}
    assert [(line.patient_id, line.cpt, line.units, line.minutes) for line in result.lines] == [
        ("A100", "97110", 2, 30), ("A100", "97140", 1, 15)]
    assert not result.findings


GROUPED_REPORT = """\
SUNRISE PHYSICAL THERAPY                                        Page 1
Charge Detail by Patient                              11/24/2026 08:15

DOS         CPT    Description            Mod     Units  Minutes   Charge
----------  -----  ---------------------  ------  -----  -------  -------
Patient: A100  SMITH, JOHN
03/02/2026  97110  Ther exercise          GP          2       30   150.00
03/02/2026  97140  Manual therapy         GP 59       1       15    75.00
                                          Patient Total:   3       45   225.00
Patient: A200  LEE, ANN
03/02/2026  97150  Group therapy          GP          1       20    60.00
03/02/2026  97110  Ther exercise          GP          2       30   150.00
                                          Patient Total:   3       50   210.00

                                          Grand Total:     6       95   435.00
"""


def test_a_printed_report_grouped_by_patient_with_subtotals_reads_its_lines(tmp_path: Path) -> None:
    """The patients in headings above their lines; a subtotal's label across two columns (Mod and Units) neither
    joins them nor is read as a line."""
    result = scrub_text(tmp_path, GROUPED_REPORT)
    assert [(line.row, line.patient_id, line.cpt, line.modifiers, line.units, line.minutes) for line in
            result.lines] == [(7, "A100  SMITH, JOHN", "97110", ("GP",), 2, 30),
                              (8, "A100  SMITH, JOHN", "97140", ("GP", "59"), 1, 15),
                              (11, "A200  LEE, ANN", "97150", ("GP",), 1, 20),
                              (12, "A200  LEE, ANN", "97110", ("GP",), 2, 30)]
    assert {row: why.split(":")[0] for row, why in result.reading["not_claim_lines"].items()} == {
        "5": "a rule line (---- under the header or between groups)", "6": "a heading", "9": "Patient Total",
        "10": "a heading", "13": "Patient Total", "15": "Grand Total"}
    assert sorted((f.row, f.rule) for f in result.findings) == [(8, "MOD010"), (12, "PTP001")]


def test_tabs_that_line_values_up_are_read_as_one_gap_each(tmp_path: Path) -> None:
    """A report printed to text with tabs: two after a short value, one after a long one (cut at every tab, the
    header's CPT sat over the lines' units)."""
    result = scrub_text(tmp_path, "Patient\tDOS\t\tCPT\tUnits\tMinutes\tMod\n"
                                  "A1\t\t03/02/2026\t97110\t2\t30\tGP\n"
                                  "A100\t\t03/02/2026\t97140\t1\t15\tGP 59\n"
                                  "A2000000\t03/03/2026\t97110\t2\t30\tGP\t\t\n")
    assert [(line.patient_id, line.cpt, line.modifiers, line.units, line.minutes) for line in result.lines] == [
        ("A1", "97110", ("GP",), 2, 30), ("A100", "97140", ("GP", "59"), 1, 15), ("A2000000", "97110", ("GP",), 2, 30)]
    assert "tabs: each run of tabs read as one" in result.reading["source_problems"][0]
    assert [(f.row, f.rule) for f in result.findings] == [(3, "MOD010")]


def test_tabs_that_line_values_up_at_the_tab_stops_keep_the_blank_cells(tmp_path: Path) -> None:
    """A report printed to text whose tabs take each value to its column's tab stop, 8 characters apart: a visit's
    later lines print no patient or date (four tabs first), a line without modifiers leaves that stop empty. Read
    at every tab, the header's CPT sat over the lines' modifiers (GP an unknown code on every line); read a run of
    tabs as one, the blank cells were lost and a visit's second line put 97140 under Patient."""
    result = scrub_text(tmp_path, "Charges for the week\n"
                                  "Patient\t\tDOS\t\tCPT\tMod\tUnits\tMin\n"
                                  "A100\t\t03/02/2026\t97110\tGP\t2\t30\n"
                                  "\t\t\t\t97140\tGP\t1\t15\n"
                                  "B2000001\t03/02/2026\t97110\t\t1\t15\n"
                                  "C3\t\t03/03/2026\t97530\tGP KX\t1\t15\n"
                                  "\t\t\t\t97112\tGP\t1\t15\t\t\n")
    assert [(line.patient_id, line.dos.day, line.cpt, line.modifiers, line.units, line.minutes)
            for line in result.lines] == [
        ("A100", 2, "97110", ("GP",), 2, 30), ("A100", 2, "97140", ("GP",), 1, 15), ("B2000001", 2, "97110", (), 1, 15),
        ("C3", 3, "97530", ("GP", "KX"), 1, 15), ("C3", 3, "97112", ("GP",), 1, 15)]
    assert sorted((f.row, f.rule) for f in result.findings) == [(4, "DAT008"), (5, "MOD001"), (7, "DAT008")]
    assert "each value read in the column whose tab stop it starts at" in result.reading["source_problems"][0]


def test_a_tab_delimited_export_with_blank_cells_keeps_them(tmp_path: Path) -> None:
    """Excel's "Text (Tab delimited)": every line as wide as the header, a blank cell two tabs in a row."""
    result = scrub_text(tmp_path, "Patient\tDOS\tCPT\tUnits\tMinutes\tModifiers\tPayer\n"
                                  "A1\t03/02/2026\t97110\t2\t30\t\tMedicare\n"
                                  "A2\t03/02/2026\t97140\t1\t15\t\tMedicare\n"
                                  "A3\t03/02/2026\t97140\t1\t15\tGP\tMedicare\n")
    assert [(line.patient_id, line.modifiers, line.payer_type) for line in result.lines] == [
        ("A1", (), "medicare"), ("A2", (), "medicare"), ("A3", ("GP",), "medicare")]
    assert not result.reading.get("source_problems")

"""The rows of an HTML table: what many web practice-management systems save as "Export to Excel"
(`charges.xls` holding `<table>`, which Excel opens with a warning and python-calamine cannot).

Every `<tr>` of the document in order, one string per `<td>`/`<th>` (a `colspan` cell keeps the
columns after it in place, and a `rowspan` cell the columns of the rows below it: a header of two rows,
`Modifiers` over `1` … `4` beside `Units` spanning both, lines up as on the page); a title table above
the charges reads as title rows, as a sheet's title rows do.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser

_SPACES = re.compile(r"\s+")


class _TableRows(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[str]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._span = 1
        self._rows_down = 1  # the open cell's rowspan
        self._covered: dict[int, int] = {}  # column -> rows (this one on) a rowspan cell above covers it
        self._covers: dict[int, int] = {}  # column -> rows below this one that this row's rowspan cells cover
        self._skip = 0  # inside <script>/<style>

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag == "tr":
            self._end_row()
            self._row = []
        elif tag in ("td", "th"):
            self._end_cell()
            if self._row is None:
                self._row = []
            self._cell = []
            self._span, self._rows_down = (_span(dict(attrs).get(name)) for name in ("colspan", "rowspan"))
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag in ("td", "th"):
            self._end_cell()
        elif tag in ("tr", "table"):
            self._end_row()
            if tag == "table":  # a rowspan ends with its table
                self._covered, self._covers = {}, {}

    def handle_data(self, data: str) -> None:
        if self._cell is not None and not self._skip:
            self._cell.append(data)

    def _end_cell(self) -> None:
        if self._cell is not None and self._row is not None:
            self._skip_covered()
            if self._rows_down > 1:
                self._covers.update(dict.fromkeys(range(len(self._row), len(self._row) + self._span),
                                                  self._rows_down - 1))
            self._row.append(_SPACES.sub(" ", "".join(self._cell).replace("\xa0", " ")).strip())
            self._row.extend([""] * (self._span - 1))
        self._cell, self._span, self._rows_down = None, 1, 1

    def _skip_covered(self) -> None:
        """Leave blank the columns a rowspan cell of a row above covers (its value stays in its own row)."""
        assert self._row is not None
        while len(self._row) in self._covered:
            self._row.append("")

    def _end_row(self) -> None:
        self._end_cell()
        if self._row is not None:
            self._skip_covered()
            self.rows.append(self._row)
            self._covered = {column: rows - 1 for column, rows in self._covered.items() if rows > 1}
            self._covered.update(self._covers)
            self._covers = {}
        self._row = None

    def close(self) -> None:
        super().close()
        self._end_row()


def _span(value: str | None) -> int:
    return min(int(value), 100) if value and value.strip().isdigit() and int(value) > 0 else 1


def looks_like_html(head: bytes) -> bool:
    """The first bytes of a file are an HTML page holding a table (a BOM and blank lines before it
    allowed; Excel 2003's XML spreadsheets have `<Table>` too, but no `<tr>`)."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return text.startswith(b"<") and b"<table" in text and b"<tr" in text


def html_rows(text: str) -> list[list[str]]:
    """Every table row of the page, padded to one width."""
    parser = _TableRows()
    parser.feed(text)
    parser.close()
    width = max(map(len, parser.rows), default=0)
    return [row + [""] * (width - len(row)) for row in parser.rows]

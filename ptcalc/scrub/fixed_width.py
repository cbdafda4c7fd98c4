"""Text in columns of spaces: a report printed to a file, or Excel's "Formatted Text (Space delimited)" (.prn);
and text whose tabs line its values up (at the tab stops, or only apart by runs of tabs).

No delimiter separates the values: each column is the run of character positions its values fill, and two
columns are apart where every line of the table has a space (as pandas' `read_fwf` infers them). A value may
hold single spaces (`GP 59`, `Smith John`, a heading `Patient ID`): columns are apart by two spaces or more, or
by one where the header's next word heads values that start (or, numbers, end) under it — Excel's .prn pads
each column to its width, its text at the left and its numbers at the right. The columns are those of the
header and the lines with as many values as most lines have, or more: a subtotal's label written across two
columns does not join them. Lines that do not fit the columns (a title, `Page 2 of 9`) are kept whole in their
first cell.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

from .cells import is_rule

_GAP = re.compile(r" {2,}")
_TABS = re.compile(r"\t+")
_WORD = re.compile(r"\S+")
_VALUE = re.compile(r"\S+(?: \S+)*")  # words apart by single spaces: one value (`Patient ID`, `GP 59`)
TABLE_FIELDS = 3  # a line of the table: at least this many values apart by two spaces or more
SAMPLE_LINES = 50
TAB_WIDTH = 8  # characters from one tab stop to the next, as text editors and terminals show a tab
INFER_LINES = 2_000  # the table's lines the columns are inferred from


def _table_lines(lines: list[str]) -> list[str]:
    return [line for line in lines if len(_GAP.split(line.strip())) >= TABLE_FIELDS]


def looks_fixed_width(text: str, delimited_fields: int) -> bool:
    """Most of the first lines hold values apart by runs of spaces, more of them than the delimiter the sniff
    chose splits a line into (a comma inside `Smith, John` must not make a report of columns a csv)."""
    sample = [line.expandtabs().rstrip() for line in text[:65_536].splitlines()[:SAMPLE_LINES] if line.strip()]
    table = _table_lines(sample)
    if len(table) < max(2, len(sample) // 2):
        return False
    widths = sorted(len(_GAP.split(line.strip())) for line in table)
    return widths[len(widths) // 2] > delimited_fields


def tabs_line_up(text: str) -> bool:
    """The tabs line the values up, as a report printed to text uses them: one tab after a long value, two after
    a short one. Cut at every tab, the first lines disagree on their number of fields; cut at each run of tabs,
    more of them agree. (A tab-delimited export writes every line as wide as the header, a blank cell between
    two tabs.)"""
    sample = [line for line in text[:65_536].splitlines()[:SAMPLE_LINES] if line.strip()]
    if not any("\t\t" in line for line in sample):
        return False
    at_every_tab = Counter(len(line.split("\t")) for line in sample).most_common(1)[0][1]
    at_runs = Counter(len(_TABS.split(line.rstrip("\t"))) for line in sample).most_common(1)[0][1]
    return at_runs > at_every_tab


def values_at_tab_stops(text: str) -> list[int] | None:
    """The tab stops (every TAB_WIDTH characters, as a text editor shows tabs) at which a report printed to text
    starts its columns, where its tabs line the values up there: a value short of the next stop gets one tab more,
    and a blank cell leaves its stop empty (a visit's later lines without its patient and date, a line without
    modifiers). None where the tabs delimit cells or line nothing up at the stops. The columns are the stops of the
    first line with the most values (the header, as a rule); the text lines up when more lines start every value
    at one of them than agree on their number of cells, cut at every tab or at each run of tabs."""
    sample = [line for line in text[:65_536].splitlines()[:SAMPLE_LINES] if line.strip()]
    if not any("\t\t" in line for line in sample):
        return None
    placed = [_at_tab_stops(line) for line in sample]
    stops = [start for start, _ in max(placed, key=len)]
    fitting = sum(1 for values in placed if all(start in stops for start, _ in values))
    at_every_tab = Counter(len(line.split("\t")) for line in sample).most_common(1)[0][1]
    at_runs = Counter(len(_TABS.split(line.rstrip("\t"))) for line in sample).most_common(1)[0][1]
    return stops if fitting > max(at_every_tab, at_runs) else None


def tab_stop_rows(text: str, stops: list[int]) -> Iterator[list[str]]:
    """Every line's values in the columns whose stops they start at, a blank cell where none does; a line whose
    values start elsewhere (a title written across) gives its values in order."""
    column_at = {stop: i for i, stop in enumerate(stops)}
    for line in text.splitlines():
        placed = _at_tab_stops(line)
        if all(start in column_at for start, _ in placed):
            row = [""] * len(stops) if placed else []
            for start, value in placed:
                row[column_at[start]] = value
            yield row
        else:
            yield [value for _, value in placed]


def _at_tab_stops(line: str) -> list[tuple[int, str]]:
    """The line's values, each with the character position it starts at when its tabs are shown as tab stops."""
    at, placed = 0, []
    for piece in line.split("\t"):
        if piece.strip():
            placed.append((at, piece.strip()))
        at = (at + len(piece)) // TAB_WIDTH * TAB_WIDTH + TAB_WIDTH  # the next stop after the piece
    return placed


def one_tab_per_gap(text: str) -> str:
    """Each run of tabs a single tab (a line's trailing tabs dropped): the values apart by one delimiter."""
    return "\n".join(_TABS.sub("\t", line.rstrip("\t")) for line in text.splitlines())


def fixed_width_rows(text: str) -> list[list[str]]:
    """Every line cut at the columns' spans (values stripped); a line with a character where every table
    line has a space is one cell."""
    lines = [line.replace("\f", "").expandtabs().rstrip() for line in text.splitlines()]
    typical = _typical_lines(_table_lines(lines)[:INFER_LINES])
    header = _header(lines, typical)
    below = [line for line in typical if line != header]  # the header printed again on each page is no value
    spans = _numbers_under_headings(_column_spans(header, below), header, typical)
    edges = [0, *(edge for span in spans for edge in span), None]
    gaps = list(zip(edges[0::2], edges[1::2]))  # before the first column, between two, after the last
    rows = []
    for line in lines:
        if not line.strip():
            rows.append([])
        elif all(not line[end:start].strip() for end, start in gaps):  # every character inside a column
            rows.append([line[start:end].strip() for start, end in spans])
        else:
            rows.append([line.strip()])
    return rows


def _typical_lines(table: list[str]) -> list[str]:
    """The table's lines with as many values as most of them, or more (the header, a line filling a column most
    leave blank): a subtotal's `Patient Total:` under two columns would join them."""
    counts = [len(_VALUE.findall(line)) for line in table]
    most = Counter(counts).most_common(1)[0][0] if counts else 0
    return [line for line, count in zip(table, counts) if count >= most]


def _header(lines: list[str], typical: list[str]) -> str:
    """The line right above the first typical one (a rule line `-----` between them passed over), where it is
    not typical itself: headings apart by single spaces (`Patient ID Date of Service`) make fewer values than a
    line below has; else the first typical line."""
    if not typical:
        return ""
    at = next(i for i, line in enumerate(lines) if line is typical[0])
    above = at - 1
    while above >= 0 and is_rule(lines[above]):
        above -= 1
    return lines[above] if above >= 0 and lines[above].strip() else typical[0]


def _column_spans(header: str, below: list[str]) -> list[tuple[int, int]]:
    """(start, end) of each run of positions the header or a line below has a value at (a heading's single space
    included: `Patient ID` is one column, though no line of it fills the space); and apart where one space
    stands in every line before a heading's word under which words below start, or end where the word before
    it has words below too (Excel's .prn pads a column to its width, text at the left and numbers at the right:
    a date filling its column leaves one space before the code, `Patient ID Date of Service` one between two
    headings; no word starts under `ID`, and `Time (min)`'s numbers end under `(min)` but none is under `Time`)."""
    table = [header, *below]
    width = max(map(len, table), default=0)
    filled = [False] * width
    spaces = [True] * width  # a space (or nothing) at the position in every line
    for line in table:
        for value in _VALUE.finditer(line):
            filled[value.start():value.end()] = [True] * (value.end() - value.start())
        for position, char in enumerate(line):
            if char != " ":
                spaces[position] = False
    words = [word.span() for line in below for word in _WORD.finditer(line)]
    starts, ends = {start for start, _ in words}, {end for _, end in words}
    under = [False] * (width + 1)  # a word below covers the position
    for start, end in words:
        under[start:end] = [True] * (end - start)
    headings = [word.span() for word in _WORD.finditer(header)]
    for (left_start, left_end), (start, end) in zip(headings, headings[1:]):
        if spaces[start - 1] and (start in starts or end in ends and any(under[left_start:left_end])):
            filled[start - 1] = False  # words below start under the heading, or end under it (numbers at the right)
    spans, start = [], None
    for position, used in enumerate([*filled, False]):
        if used and start is None:
            start = position
        elif not used and start is not None:
            spans.append((start, position))
            start = None
    return spans


def _numbers_under_headings(spans: list[tuple[int, int]], header: str, table: list[str]) -> list[tuple[int, int]]:
    """A column with no heading joins the headed one on its left where no line fills both: Excel's .prn writes a
    heading at its column's left and the column's numbers at its right (`Units    ` over `       2`)."""
    joined: list[tuple[int, int]] = []
    for start, end in spans:
        if joined and not header[start:end].strip() and not any(
                line[joined[-1][0]:joined[-1][1]].strip() and line[start:end].strip() for line in table):
            joined[-1] = (joined[-1][0], end)
        else:
            joined.append((start, end))
    return joined

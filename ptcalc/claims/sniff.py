"""Telling a claims file from a charge sheet by its first bytes (an X12 interchange starts `ISA`), and an
interchange's text as X12 defines it, for the 837 and 835 readers."""
from __future__ import annotations

from pathlib import Path


def looks_like_x12(path: Path) -> bool:
    """The file starts `ISA`, after any byte-order mark and blank lines a sending system put first."""
    try:
        with path.open("rb") as handle:
            return handle.read(4096).removeprefix(b"\xef\xbb\xbf").lstrip()[:3].upper() == b"ISA"
    except OSError:
        return False


ISA_LENGTH = 106  # the ISA segment is fixed width: its last character is the segment terminator


def x12_text(text: str) -> str:
    """The interchange as X12 defines it: from `ISA`, without line breaks between or inside segments. Some
    systems start with a byte-order mark or blank lines, and some wrap the file at 80 characters, breaking
    segments (even the ISA) across lines; a line break is data only where it is the segment terminator."""
    text = text.lstrip("\ufeff\ufffd \t\r\n")
    unbroken = text.replace("\r", "").replace("\n", "")
    if len(unbroken) > ISA_LENGTH and not unbroken[ISA_LENGTH - 1].isalnum():
        return unbroken  # the terminator is a character (~), not the line break
    return text


def transaction_sets(text: str) -> set[str]:
    """The kinds of transaction (ST01: `837`, `835`, ...) an interchange as x12_text gives it holds."""
    if len(text) < ISA_LENGTH:
        return set()
    element, terminator = text[3], text[ISA_LENGTH - 1]
    heads = (segment.strip().split(element) for segment in text.split(terminator))
    return {head[1].strip() for head in heads if len(head) > 1 and head[0].upper() == "ST"}


CLAIMS_THEN_REMITS = "`ptcalc backtest CLAIMS.837 REMITS.835` sets a payer's 835 beside the claims it answers"


def interchanges(text: str) -> list[tuple[int, str]]:
    """The interchanges (ISA ... IEA) of an X12 file as x12_text gives it, each with the count of segments before
    it. A clearinghouse's batch may hold several, one after another; X12 readers validate one at a time (read
    whole, the second's IEA was "IEA exceeded max count", a problem the file does not have)."""
    terminator = text[ISA_LENGTH - 1] if len(text) >= ISA_LENGTH else "~"
    segments = text.split(terminator)
    starts = [i for i, segment in enumerate(segments) if i and segment.lstrip()[:3].upper() == "ISA"]
    bounds = [0, *starts, len(segments)]
    return [(first, terminator.join(segments[first:end]) + (terminator if end < len(segments) else ""))
            for first, end in zip(bounds, bounds[1:])]

"""The scrub: a linter for claim lines. Read a charge sheet, run every rule, report findings."""
from .findings import Finding
from .reader import RawSheet, read_sheet
from .runner import ScrubResult, read_charge_sheet, scrub_file, scrub_sheet

__all__ = ["Finding", "RawSheet", "ScrubResult", "read_charge_sheet", "read_sheet", "scrub_file", "scrub_sheet"]

"""Errors ptcalc raises on purpose, each with a message meant for a person; the command line's exit codes."""

EXIT_OK, EXIT_FINDINGS, EXIT_UNUSABLE = 0, 1, 2  # clean; an error finding; unusable input (UsageError)


class PtcalcInputError(ValueError):
    """A value handed to the engine cannot be used (bad number, unknown code, ...).

    A ValueError, so Excel shows #VALUE! with the message and callers that only know
    ValueError still catch it.
    """


class ReferenceDataError(Exception):
    """A reference table is missing or invalid; the message is `file:line: field: problem`."""


class UsageError(Exception):
    """The command line cannot proceed (unreadable file, unknown sheet, ...): exit 2."""

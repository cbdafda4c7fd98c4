"""`ptcalc scrub`: one charge sheet or claim file; several, or a folder of them, are a batch (batch.py)."""
from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from .errors import UsageError
from .progress import progress, stages
from .values import parse_date

OUTPUT_SUFFIXES = {".xlsx": "xlsx", ".json": "json", ".csv": "csv"}


def cmd_scrub(args: argparse.Namespace) -> int:
    as_of = parse_date(args.as_of, "--as-of") if args.as_of is not None else None
    inputs = [Path(name) for name in args.input]
    into_folder = args.output is not None and Path(args.output).is_dir()
    if len(inputs) == 1 and not inputs[0].is_dir() and not into_folder:
        fmt = _output_format(args)
        return scrub_one(inputs[0], Path(args.output) if args.output else None, fmt, args, as_of)["exit_code"]
    from .batch import scrub_batch

    return scrub_batch(inputs, args, as_of)


def scrub_one(source: Path, output: Path | None, fmt: str, args: argparse.Namespace,
              as_of: date | None) -> dict[str, object]:
    """Scrub one file; json and csv without an output go to stdout (the summary line then to stderr). The
    scrub's summary (its exit status is `exit_code`)."""
    from .clinic_settings import settings_for
    from .refdata import load_reference
    from .safe_write import atomic_save
    from .scrub import read_charge_sheet, scrub_sheet
    from .scrub.layout import load_column_map
    from .scrub.report import json_parts, to_csv, write_csv, write_json
    from .scrub.runner import cyclic_gc_paused

    if output is None and fmt == "xlsx":
        output = source.with_name(f"{source.stem}.scrubbed.xlsx")
    if output is not None and output.exists() and source.exists() and output.resolve() == source.resolve():
        raise UsageError(f"{output}: refusing to write over the input file; choose another -o")
    settings = settings_for(source)
    with cyclic_gc_paused(), stages(f"ptcalc scrub {source.name}", 3) as advance:
        advance("reading")
        column_map = settings.columns_with(load_column_map(Path(args.columns)) if args.columns else None)
        # json and csv need no copy of the rows: the file is read as it is judged, a chunk at a time
        name, named_by = settings.sheet_or(args.sheet, source)
        try:
            sheet = read_charge_sheet(source, name, column_map, stream=fmt != "xlsx")
        except UsageError as exc:
            raise UsageError(f"{exc} (sheet {name!r} as {named_by} says)" if named_by else str(exc)) from None
        advance("judging")
        locality, said_by = settings.locality_or(args.locality)
        result = scrub_sheet(sheet, settings.reference(load_reference()), as_of, column_map, jobs=args.jobs,
                             locality=locality, locality_from=said_by)
        if settings.paths:
            result.reading["settings"] = settings.described()
        advance("writing")
        if fmt == "xlsx":
            from .scrub.report_xlsx import write_xlsx

            write_xlsx(result, output, progress(len(result.sheet.rows), "writing"))
        elif output is None:
            if fmt == "json":
                for part in json_parts(result):
                    sys.stdout.write(part.decode("utf-8"))
            else:
                sys.stdout.write(to_csv(result))
        else:
            write = write_json if fmt == "json" else write_csv
            atomic_save(output, lambda temp: write(result, Path(temp)), inputs=(source,))
    print(summary_line(result.summary(), output), file=sys.stderr if output is None else sys.stdout)
    if sheet.other_sheets:
        print(f"note: {source.name} has other charge sheets, not scrubbed: {', '.join(map(repr, sheet.other_sheets))}"
              " (scrub each with --sheet NAME)", file=sys.stderr)
    if sheet.notes:
        more = f" (and {len(sheet.notes) - 1} more in the report's reading)" if len(sheet.notes) > 1 else ""
        print(f"note: {source.name}: {sheet.notes[0]}{more}", file=sys.stderr)
    return result.summary()


def _output_format(args: argparse.Namespace) -> str:
    """--format, else the -o file's extension; an extension that says another format is refused."""
    suffix = Path(args.output).suffix.lower() if args.output else None
    by_suffix = OUTPUT_SUFFIXES.get(suffix) if suffix else None
    if args.output and by_suffix is None:
        raise UsageError(f"-o {args.output}: the output must end in .xlsx, .csv or .json (it decides the format)")
    if args.format and by_suffix and args.format != by_suffix:
        raise UsageError(f"-o {args.output} says {by_suffix} but --format says {args.format}; make them agree")
    return args.format or by_suffix or "xlsx"


def summary_line(summary: dict, output: Path | None) -> str:
    from .scrub.report import counted

    statuses = summary["lines_by_status"]
    parts = [f"{count} {status}" for status, count in statuses.items() if count]
    where = f" -> {output}" if output else ""
    return (f"scrubbed {counted(summary['lines'], 'line')} of {summary['source']}: {', '.join(parts) or 'no lines'}; "
            f"${summary['dollars_at_risk']:,.2f} at risk{where}")

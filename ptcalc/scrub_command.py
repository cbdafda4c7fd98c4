"""`ptcalc scrub`: one charge sheet or claim file, or a batch of them (a billing company's clinics).

A batch is several inputs or a folder (a billing company's: a folder per clinic in it, each with its
settings, clinic_settings.py): each file is scrubbed in turn into `<stem>.scrubbed.<format>` beside it
(or in the folder `-o` names, in the subfolder it was in), with its summary line; a file that cannot be
read says why in one line and the others go on. The exit status is the batch's worst: 2 when a file was
unusable, else 1 when any has an error finding, else 0.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
from collections.abc import Iterator
from datetime import date
from itertools import repeat
from pathlib import Path

from .errors import EXIT_FINDINGS, EXIT_OK, EXIT_UNUSABLE, PtcalcInputError, UsageError
from .progress import progress, stages
from .values import parse_date

OUTPUT_SUFFIXES = {".xlsx": "xlsx", ".json": "json", ".csv": "csv"}
# What a folder holds that the scrub reads; its own outputs (`.scrubbed.`, `.backtest.`) are left alone.
INPUT_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xlsb", ".xls", ".ods", ".csv", ".tsv", ".txt", ".837", ".x12",
                            ".edi"})
OUTPUT_MARKS = (".scrubbed.", ".backtest.", ".values.")


def cmd_scrub(args: argparse.Namespace) -> int:
    as_of = parse_date(args.as_of, "--as-of") if args.as_of is not None else None
    inputs = [Path(name) for name in args.input]
    into_folder = args.output is not None and Path(args.output).is_dir()
    if len(inputs) == 1 and not inputs[0].is_dir() and not into_folder:
        fmt = _output_format(args)
        return scrub_one(inputs[0], Path(args.output) if args.output else None, fmt, args, as_of)
    unlisted: list[OSError] = []
    return _scrub_batch(_batch_files(inputs, unlisted), args, as_of, unlisted)


def scrub_one(source: Path, output: Path | None, fmt: str, args: argparse.Namespace, as_of: date | None) -> int:
    """Scrub one file; json and csv without an output go to stdout (the summary line then to stderr)."""
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
        if settings.path is not None:
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
    return result.exit_code


def _batch_files(inputs: list[Path], unlisted: list[OSError]) -> list[tuple[Path, Path]]:
    """The files of a batch, in order, each with the subfolder its output goes in under -o: each file named
    (none), and the readable files of each folder and the folders in it (a billing company's folder of clinics),
    a folder's own files first, then each folder in it, by name; `unlisted` gets each folder that cannot be
    listed (no permission: the batch says so, never passes its files over unsaid)."""
    files: list[tuple[Path, Path]] = []
    for path in inputs:
        if path.is_dir():
            found = [(source, source.parent.relative_to(path)) for source in _folder_inputs(path, unlisted)]
            if not found and not unlisted:
                raise UsageError(f"{path}: the folder and the folders in it hold no charge sheet or claim file")
            files.extend(found)
        else:
            files.append((path, Path()))
    return files


def _folder_inputs(folder: Path, unlisted: list[OSError]) -> Iterator[Path]:
    """The files the scrub reads in a folder and below it: not its own outputs, Excel's owner files (`~$`) or what
    is hidden (`.`-named files and folders). A folder linked in (a clinic's share) is looked in, once."""
    seen = {os.path.realpath(folder)}
    for where, folders, names in os.walk(folder, onerror=unlisted.append, followlinks=True):
        kept = []
        for name in sorted(folders):
            real = os.path.realpath(os.path.join(where, name))
            if not name.startswith((".", "__")) and real not in seen:  # a link back up is not walked again
                seen.add(real)
                kept.append(name)
        folders[:] = kept
        for name in sorted(names):
            if Path(name).suffix.lower() in INPUT_SUFFIXES and not name.startswith((".", "~$")) and \
                    not any(mark in name for mark in OUTPUT_MARKS) and (Path(where) / name).is_file():
                yield Path(where) / name


def _scrub_batch(batch: list[tuple[Path, Path]], args: argparse.Namespace, as_of: date | None,
                 unlisted: list[OSError]) -> int:
    folder = Path(args.output) if args.output else None
    if folder is not None and not folder.is_dir():
        raise UsageError(f"-o {folder}: with several inputs, -o names an existing folder for the outputs")
    fmt = args.format or "xlsx"
    files = [source for source, _ in batch]
    outputs = [(folder / under if folder else source.parent) / f"{source.stem}.scrubbed.{fmt}"
               for source, under in batch]
    clashing = {out for out in outputs if outputs.count(out) > 1}
    if clashing:
        raise UsageError(f"{sorted(clashing)[0]}: two inputs of the same name would write it; scrub them apart "
                         "or without -o")
    for output in outputs:
        output.parent.mkdir(parents=True, exist_ok=True)  # a clinic's subfolder under -o
    worst, unread, flagged = EXIT_UNUSABLE if unlisted else EXIT_OK, [], 0
    for problem in unlisted:
        print(f"ptcalc scrub: {problem.filename}: the folder cannot be read ({problem.strerror}); its files are not "
              "in the batch", file=sys.stderr)
    for (source, under), code in zip(batch, _batch_codes(files, outputs, fmt, args, as_of)):
        unread += [(under / source.name).as_posix()] if code == EXIT_UNUSABLE else []  # a clinic's: its folder too
        flagged += code == EXIT_FINDINGS
        worst = max(worst, code)
    print(f"batch of {len(files)} files: {len(files) - len(unread)} scrubbed, {flagged} with error findings"
          + (f", {len(unread)} could not be read ({', '.join(unread)})" if unread else "")
          + (f"; {len(unlisted)} folder{'s' if len(unlisted) > 1 else ''} could not be read" if unlisted else ""))
    return worst


def _batch_codes(files: list[Path], outputs: list[Path], fmt: str, args: argparse.Namespace,
                 as_of: date | None) -> Iterator[int]:
    """Each file's exit status, in order. With --jobs N the files themselves are the parallel unit: N
    processes each scrub whole files (each exactly as alone, its patients judged in one process), and
    what each file printed is printed in the batch's order as its turn comes."""
    from .cores import usable_cores

    jobs = min(args.jobs or 1, len(files), usable_cores())  # not given: files in turn, each as alone
    if jobs <= 1:
        for source, output in zip(files, outputs):
            yield _scrub_in_batch(source, output, fmt, args, as_of)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor  # here, not at the top: see _broken_pool in cli.py

    from .scrub.judge import forking, leave_interrupts_to_the_parent

    one_process = argparse.Namespace(**{**vars(args), "jobs": 1})
    context = multiprocessing.get_context("fork" if forking() else "spawn")
    with ProcessPoolExecutor(jobs, mp_context=context, initializer=leave_interrupts_to_the_parent) as pool:
        done = pool.map(_scrub_captured, files, outputs, repeat(fmt), repeat(one_process), repeat(as_of))
        for code, printed, said in done:
            sys.stdout.write(printed)
            sys.stderr.write(said)
            yield code


def _scrub_captured(source: Path, output: Path, fmt: str, args: argparse.Namespace,
                    as_of: date | None) -> tuple[int, str, str]:
    """One file of a parallel batch in a worker process: its status and what it printed (stdout, stderr)."""
    printed, said = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(said):
        code = _scrub_in_batch(source, output, fmt, args, as_of)
    return code, printed.getvalue(), said.getvalue()


def _scrub_in_batch(source: Path, output: Path, fmt: str, args: argparse.Namespace, as_of: date | None) -> int:
    try:
        return scrub_one(source, output, fmt, args, as_of)
    except (UsageError, PtcalcInputError) as exc:
        print(f"ptcalc scrub: {exc}", file=sys.stderr)
    except OSError as exc:  # one file locked or vanished: the others go on
        print(f"ptcalc scrub: {exc.filename or source}: {exc.strerror or exc}", file=sys.stderr)
    return EXIT_UNUSABLE


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
    statuses = summary["lines_by_status"]
    parts = [f"{count} {status}" for status, count in statuses.items() if count]
    where = f" -> {output}" if output else ""
    return (f"scrubbed {summary['lines']} lines of {summary['source']}: {', '.join(parts) or 'no lines'}; "
            f"${summary['dollars_at_risk']:,.2f} at risk{where}")

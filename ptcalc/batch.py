"""A batch: several charge sheets or claim files, or a folder of them (a billing company's: a folder per clinic
in it, each with its settings, clinic_settings.py).

Each file is scrubbed in turn, exactly as alone, into `<stem>.scrubbed.<format>` beside it (or in the folder `-o`
names, in the subfolder it was in), with its summary line; a file that cannot be read says why in one line and
the others go on. The batch's summary, a row per file, is written beside the outputs (ROLLUP). The exit status is
the batch's worst: 2 when a file (or a folder) could not be read, else 1 when any has an error finding, else 0.
"""
from __future__ import annotations

import argparse
import contextlib
import csv
import io
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from itertools import repeat
from pathlib import Path

from .errors import EXIT_FINDINGS, EXIT_OK, EXIT_UNUSABLE, PtcalcInputError, UsageError
from .scrub_command import scrub_one

# What a folder holds that the scrub reads; its own outputs (`.scrubbed.`, `.backtest.`) are left alone.
INPUT_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xlsb", ".xls", ".ods", ".csv", ".tsv", ".txt", ".prn", ".837", ".x12",
                            ".edi"})
OUTPUT_MARKS = (".scrubbed.", ".backtest.", ".values.")
ROLLUP = "batch-summary.scrubbed.csv"  # a row per file of the batch, beside its outputs
STATUSES = ("ERROR", "WARN", "NO_DATA", "INFO", "CLEAN")


@dataclass
class Outcome:
    """What became of one file of a batch."""
    code: int
    summary: dict[str, object] = field(default_factory=dict)  # the scrub's (empty: the file could not be read)
    problem: str = ""  # why it could not be read, as said


def scrub_batch(inputs: list[Path], args: argparse.Namespace, as_of: date | None) -> int:
    unlisted: list[OSError] = []
    batch = _batch_files(inputs, unlisted)
    folder = Path(args.output) if args.output else None
    if folder is not None and not folder.is_dir():
        raise UsageError(f"-o {folder}: with several inputs, -o names an existing folder for the outputs")
    fmt = args.format or "xlsx"
    files = [source for source, _ in batch]
    outputs = [(folder / under if folder else source.parent) / f"{source.stem}.scrubbed.{fmt}"
               for source, under in batch]
    rollup = (folder or _common_folder(inputs)) / ROLLUP
    clashing = {out for out in outputs if outputs.count(out) > 1 or out.resolve() == rollup.resolve()}
    if clashing:
        raise UsageError(f"{sorted(clashing)[0]}: two inputs of the same name would write it (or the batch's summary "
                         "would); scrub them apart or without -o")
    for output in outputs:
        output.parent.mkdir(parents=True, exist_ok=True)  # a clinic's subfolder under -o
    for problem in unlisted:
        print(f"ptcalc scrub: {problem.filename}: the folder cannot be read ({problem.strerror}); its files are not "
              "in the batch", file=sys.stderr)
    outcomes = list(_outcomes(files, outputs, fmt, args, as_of))
    named = [(under / source.name).as_posix() for source, under in batch]  # a clinic's file: its folder too
    _write_rollup(rollup, named, outputs, outcomes, unlisted)
    unread = [name for name, outcome in zip(named, outcomes) if outcome.code == EXIT_UNUSABLE]
    flagged = sum(outcome.code == EXIT_FINDINGS for outcome in outcomes)
    print(f"the batch's summary, a row per file -> {rollup}")
    print(f"batch of {len(files)} files: {len(files) - len(unread)} scrubbed, {flagged} with error findings"
          + (f", {len(unread)} could not be read ({', '.join(unread)})" if unread else "")
          + (f"; {len(unlisted)} folder{'s' if len(unlisted) > 1 else ''} could not be read" if unlisted else ""))
    return max([EXIT_UNUSABLE if unlisted else EXIT_OK, *(outcome.code for outcome in outcomes)])


def _common_folder(inputs: list[Path]) -> Path:
    """Where the batch's summary goes without -o: the folder given, or the one the files given share."""
    folders = [str(path.resolve() if path.is_dir() else path.resolve().parent) for path in inputs]
    try:
        return Path(os.path.commonpath(folders))
    except ValueError:  # on two drives (Windows): none is shared
        return Path.cwd()


def _write_rollup(path: Path, named: list[str], outputs: list[Path], outcomes: list[Outcome],
                  unlisted: list[OSError]) -> None:
    """A row per file: lines by status, dollars at risk and left on the table, its exit status and output, or why
    it could not be read; a row per folder that could not be listed."""
    from .safe_write import atomic_save
    from .scrub.report import escape_formula

    rows = [["file", "outcome", "lines", *STATUSES, "dollars_at_risk", "dollars_left_on_table", "exit_code",
             "output", "problem"]]
    for name, output, outcome in zip(named, outputs, outcomes):
        summary = outcome.summary
        if not summary:
            rows.append([name, "could not be read", *[""] * (len(STATUSES) + 3), outcome.code, "", outcome.problem])
            continue
        statuses = summary["lines_by_status"]
        rows.append([name, "scrubbed", summary["lines"], *(statuses.get(s, 0) for s in STATUSES),
                     f"{summary['dollars_at_risk']:.2f}", f"{summary['dollars_left_on_table']:.2f}",
                     outcome.code, _beside(output, path.parent), ""])
    for problem in unlisted:
        rows.append([str(problem.filename), "folder could not be read", *[""] * (len(STATUSES) + 4), "",
                     problem.strerror or str(problem)])

    def write(temp: str) -> None:
        with open(temp, "w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows([[escape_formula(cell) for cell in row] for row in rows])

    atomic_save(path, write)


def _beside(path: Path, folder: Path) -> str:
    """A path as seen from `folder` when it is in it (the summary's outputs, from the summary's folder)."""
    try:
        return path.resolve().relative_to(folder.resolve()).as_posix()
    except ValueError:
        return str(path)


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


def _outcomes(files: list[Path], outputs: list[Path], fmt: str, args: argparse.Namespace,
              as_of: date | None) -> Iterator[Outcome]:
    """Each file's outcome, in order. With --jobs N the files themselves are the parallel unit: N processes each
    scrub whole files (each exactly as alone, its patients judged in one process), and what each file printed is
    printed in the batch's order as its turn comes."""
    from .cores import usable_cores

    jobs = min(args.jobs or 1, len(files), usable_cores())  # not given: files in turn, each as alone
    if jobs <= 1:
        for source, output in zip(files, outputs):
            yield scrub_in_batch(source, output, fmt, args, as_of)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor  # here, not at the top: see _broken_pool in cli.py

    from .scrub.judge import forking, leave_interrupts_to_the_parent

    one_process = argparse.Namespace(**{**vars(args), "jobs": 1})
    context = multiprocessing.get_context("fork" if forking() else "spawn")
    with ProcessPoolExecutor(jobs, mp_context=context, initializer=leave_interrupts_to_the_parent) as pool:
        done = pool.map(scrub_captured, files, outputs, repeat(fmt), repeat(one_process), repeat(as_of))
        for outcome, printed, said in done:
            sys.stdout.write(printed)
            sys.stderr.write(said)
            yield outcome


def scrub_captured(source: Path, output: Path, fmt: str, args: argparse.Namespace,
                   as_of: date | None) -> tuple[Outcome, str, str]:
    """One file of a parallel batch in a worker process: its outcome and what it printed (stdout, stderr)."""
    printed, said = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(said):
        outcome = scrub_in_batch(source, output, fmt, args, as_of)
    return outcome, printed.getvalue(), said.getvalue()


def scrub_in_batch(source: Path, output: Path, fmt: str, args: argparse.Namespace, as_of: date | None) -> Outcome:
    try:
        summary = scrub_one(source, output, fmt, args, as_of)
        return Outcome(int(summary["exit_code"]), summary)
    except (UsageError, PtcalcInputError) as exc:
        problem = str(exc)
    except OSError as exc:  # one file locked or vanished: the others go on
        problem = f"{exc.filename or source}: {exc.strerror or exc}"
    print(f"ptcalc scrub: {problem}", file=sys.stderr)
    return Outcome(EXIT_UNUSABLE, problem=problem)

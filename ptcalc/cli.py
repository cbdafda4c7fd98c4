"""The `ptcalc` command line: argument parsing and error reporting around the engine."""
from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from . import __version__
from .errors import PtcalcInputError, ReferenceDataError, UsageError
from .refdata import ENV_VAR, default_directory, load_reference, packaged_directory
from .refdata.schema import validate
from .refdata.yamlio import read_yaml
from .values import parse_date

EXIT_OK, EXIT_FINDINGS, EXIT_UNUSABLE = 0, 1, 2


def _reference_dir_for_writing(args: argparse.Namespace) -> Path:
    directory = Path(args.reference) if args.reference else default_directory()
    if directory.resolve() == packaged_directory().resolve():
        raise UsageError("the installed reference data is read-only; pass --reference DIR "
                         "(a copy of reference/) to import into")
    if not directory.is_dir():
        raise UsageError(f"{directory}: no such reference directory")
    return directory


def cmd_import(args: argparse.Namespace) -> int:
    from . import importers

    directory = _reference_dir_for_writing(args)
    files = [Path(f) for f in args.files]
    for path in files:
        if not path.is_file():
            raise UsageError(f"{path}: no such file")
    if args.kind == "pfs":
        result = importers.import_pfs(files, directory)
    elif args.kind == "gpci":
        if len(files) != 1:
            raise UsageError("import gpci takes one GPCI file")
        result = importers.import_gpci(files[0], directory)
    elif args.kind == "mue":
        result = importers.import_mue(files, directory, parse_date(args.effective) if args.effective else None)
    else:
        result = importers.import_ptp(files, directory)
    for path in result.written:  # what was written must pass the schema; a problem stops here with file:line
        validate(read_yaml(path), path)
    print(result.summary())
    return EXIT_OK


def cmd_info(args: argparse.Namespace) -> int:
    from .info import data_versions, format_catalogue, format_versions

    ref = load_reference()
    day = parse_date(args.as_of, "--as-of") if args.as_of else date.today()
    print(format_versions(data_versions(ref, day)))
    print()
    print(format_catalogue(ref))
    return EXIT_OK


def cmd_recalc(args: argparse.Namespace) -> int:
    from udfs.recalc import recalculate  # the Excel layer: PT_* functions registered into `formulas`

    source = Path(args.workbook)
    output = Path(args.output) if args.output else source.with_name(f"{source.stem}.values{source.suffix}")
    print(recalculate(source, output).summary())
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    return run_demo(Path(args.directory))


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--reference", metavar="DIR",
                        help=f"reference tables to use (default: ${ENV_VAR}, else the bundled ones)")
    parser = argparse.ArgumentParser(
        prog="ptcalc", description="Billing engine for US outpatient physical therapy: units, fees, KX, scrub.")
    parser.add_argument("--version", action="version", version=f"ptcalc {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser("demo", parents=[common], help="scrub the bundled sample charge sheet and print the summary")
    demo.add_argument("--directory", default=".", help="where to write the outputs (default: here)")
    demo.set_defaults(run=cmd_demo)

    info = sub.add_parser("info", parents=[common], help="the reference data in force, with versions and fallbacks")
    info.add_argument("--as-of", metavar="DATE", help="date to report for (default: today)")
    info.set_defaults(run=cmd_info)

    recalc = sub.add_parser("recalc", parents=[common],
                            help="compute every formula of a workbook (PT_* included) without Excel")
    recalc.add_argument("workbook", help=".xlsx or .xlsm")
    recalc.add_argument("-o", "--output", help="where to write the copy with values (default: <name>.values.xlsx)")
    recalc.set_defaults(run=cmd_recalc)

    imp = sub.add_parser("import", parents=[common], help="turn CMS files into reference tables")
    imp.add_argument("kind", choices=("pfs", "gpci", "mue", "ptp"),
                     help="pfs: PPRRVU relative value file(s) of one year; gpci: GPCI file; "
                          "mue: practitioner MUE table; ptp: practitioner PTP edit files")
    imp.add_argument("files", nargs="+", metavar="FILE")
    imp.add_argument("--effective", metavar="DATE", help="mue: effective date when the file name has none")
    imp.set_defaults(run=cmd_import)
    return parser


def run(argv: Sequence[str] | None = None, commands: dict[str, Callable] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "reference", None):
        os.environ[ENV_VAR] = args.reference
    try:
        return args.run(args)
    except (UsageError, PtcalcInputError) as exc:
        print(f"ptcalc {args.command}: {exc}", file=sys.stderr)
    except ReferenceDataError as exc:
        print(f"ptcalc {args.command}: reference data problem:\n{exc}", file=sys.stderr)
    except KeyboardInterrupt:
        print(f"ptcalc {args.command}: interrupted", file=sys.stderr)
    return EXIT_UNUSABLE


def main() -> None:
    try:
        code = run()
        sys.stdout.flush()
    except BrokenPipeError:  # output piped into `head` and closed early: not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = EXIT_OK
    sys.exit(code)

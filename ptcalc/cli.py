"""The `ptcalc` command line: argument parsing and error reporting around the engine."""
from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from . import __version__
from .errors import EXIT_FINDINGS, EXIT_OK, EXIT_UNUSABLE, PtcalcInputError, ReferenceDataError, UsageError
from .refdata import ENV_VAR, default_directory, load_reference, packaged_directory
from .refdata.schema import validate
from .refdata.yamlio import read_yaml
from .progress import stages
from .scrub_command import cmd_scrub
from .values import parse_date

def _reference_dir_for_writing(args: argparse.Namespace) -> Path:
    directory = Path(args.reference) if args.reference else default_directory()
    if directory.resolve() == packaged_directory().resolve():
        raise UsageError(f"the reference data installed with ptcalc ({directory}) is read-only; pass --reference "
                         "DIR (a copy of reference/, or reference/ of a checkout) to write into")
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
    with stages(f"ptcalc import {args.kind}", 1) as advance:
        advance("reading the CMS file(s)")
        result = _run_import(importers, args, files, directory)
    for path in result.written:  # what was written must pass the schema; a problem stops here with file:line
        validate(read_yaml(path), path)
    print(result.summary())
    return EXIT_OK


def _run_import(importers, args: argparse.Namespace, files: list[Path], directory: Path):  # noqa: ANN001, ANN202
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
    return result


def cmd_info(args: argparse.Namespace) -> int:
    from .info import data_versions, format_catalogue, format_versions

    ref = load_reference()
    day = parse_date(args.as_of, "--as-of") if args.as_of is not None else date.today()
    print(format_versions(data_versions(ref, day)))
    print()
    print(format_catalogue(ref))
    return EXIT_OK


def _positive_int(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        number = 0
    if not 1 <= number <= 256:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of processes (1 to 256)")
    return number


def cmd_columns(args: argparse.Namespace) -> int:
    """How a sheet would be read — header, which column is which field, what is not used — without scrubbing."""
    from .clinic_settings import settings_for
    from .scrub import read_charge_sheet
    from .scrub.layout import describe, format_reading, load_column_map, locate, prepare
    from .scrub.lines import day_first_dates
    from .scrub.rows import carry_visit_cells_down

    settings = settings_for(Path(args.input))
    column_map = settings.columns_with(load_column_map(Path(args.columns)) if args.columns else None)
    sheet = read_charge_sheet(Path(args.input), settings.sheet_or(args.sheet, Path(args.input))[0], column_map)
    ref = settings.reference(load_reference())
    layout = locate(sheet.rows, str(sheet.source), column_map, timed_codes=ref.timed_codes,
                    known_codes=ref.codes, known_modifiers=frozenset(ref.modifiers))
    rows, _, carry = carry_visit_cells_down(layout, sheet.rows[layout.header_index + 1:])
    day_first = day_first_dates(layout.date_columns(), rows)
    prepared = prepare(layout, rows, ref, day_first=day_first is not None)
    prepared.day_first = day_first
    prepared.from_headings = carry.from_headings
    print(f"{sheet.source.name}, sheet {sheet.sheet_name!r}")
    reading = describe(layout, prepared, layout.header_index + 1)
    sheet.complete_reading(reading)
    if settings.paths:
        reading["settings"] = settings.described()
    print(format_reading(reading))
    return EXIT_OK


def cmd_backtest(args: argparse.Namespace) -> int:
    """Scrub the claims, read the payer's 835, and say which denials the scrub would have caught."""
    from .claims.backtest import backtest
    from .claims.backtest_report import to_json, write_xlsx
    from .claims.read835 import read_835
    from .clinic_settings import settings_for
    from .scrub import scrub_file

    claims, remits = Path(args.claims), Path(args.remits)
    for path in (claims, remits):
        if not path.is_file():
            raise UsageError(f"{path}: no such file")
    as_of = parse_date(args.as_of, "--as-of") if args.as_of is not None else None
    suffix = Path(args.output).suffix.lower() if args.output else ".xlsx"
    if suffix not in (".xlsx", ".json"):
        raise UsageError(f"-o {args.output}: the output must end in .xlsx or .json")
    with stages("ptcalc backtest", 3) as advance:
        advance("scrubbing the claims")
        settings = settings_for(claims)  # the clinic's locality, staff and plans, as `ptcalc scrub` judges them
        locality, said_by = settings.locality_or(None)
        ref = settings.reference(load_reference())
        result = scrub_file(claims, as_of=as_of, ref=ref, locality=locality, locality_from=said_by)
        advance("reading the remittances")
        tally = backtest(result, read_835(remits), ref)
        advance("writing")
        output = Path(args.output) if args.output else claims.with_name(f"{claims.stem}.backtest.xlsx")
        if suffix == ".json":
            atomic_save_text(output, to_json(tally), (claims, remits))
        else:
            write_xlsx(tally, output, (claims, remits))
    totals = tally.totals()
    print(f"backtest of {claims.name} against {remits.name}: " + ", ".join(
        f"{figures['lines']} {verdict.replace('_', ' ')} (${figures['dollars']:,.2f})" for verdict, figures in
        totals.items() if figures["lines"]) + f" -> {output}")
    return EXIT_OK


def atomic_save_text(output: Path, text: str, inputs: tuple[Path, ...]) -> None:
    from .safe_write import atomic_save

    atomic_save(output, lambda temp: Path(temp).write_text(text, encoding="utf-8"), inputs=inputs)


def cmd_rules(args: argparse.Namespace) -> int:
    from .scrub.catalogue import as_markdown, as_text, rule_card, rules_named

    if args.rule:
        if args.markdown:
            raise UsageError("--markdown writes the whole catalogue: name no rule with it")
        payers = load_reference().payers
        print("\n\n".join(rule_card(rule, payers) for rule in rules_named(args.rule)))
        return EXIT_OK
    print(as_markdown() if args.markdown else as_text())
    return EXIT_OK


def cmd_bench(args: argparse.Namespace) -> int:
    from .bench import run_bench

    if args.lines < 100:
        raise UsageError("--lines: use at least 100 lines")
    return run_bench(args.lines, args.claim_lines, args.million, args.jobs)


def cmd_recalc(args: argparse.Namespace) -> int:
    from udfs.recalc import recalculate  # the Excel layer: PT_* functions registered into formualizer

    source = Path(args.workbook)
    output = Path(args.output) if args.output else source.with_name(f"{source.stem}.values{source.suffix}")
    with stages(f"ptcalc recalc {source.name}", 1) as advance:
        advance("computing every formula")
        result = recalculate(source, output)
    print(result.summary())
    return EXIT_FINDINGS if result.unsolved else EXIT_OK


def cmd_build_workbook(args: argparse.Namespace) -> int:
    from .refdata import source_tree_directory
    from .workbook.build import SHIPPED_NAME, build_workbook

    if args.output:
        target = Path(args.output)
    else:
        checkout = source_tree_directory().parent / "workbook"
        if not checkout.is_dir():
            raise UsageError("not in a ptcalc checkout (no workbook/ folder here): pass -o OUT.xlsm")
        target = checkout / SHIPPED_NAME
    build_workbook(target, default_directory())
    print(f"built {target}")
    return EXIT_OK


def cmd_sync(args: argparse.Namespace) -> int:
    from .workbook.refsheets import sync_to_workbook, sync_to_yaml

    workbook = Path(args.workbook)
    with stages(f"ptcalc sync {workbook.name}", 1) as advance:
        if args.to_yaml:
            advance("reading the Ref_ sheets")
            result = sync_to_yaml(workbook, _reference_dir_for_writing(args))
        else:
            advance("writing the Ref_ sheets")
            result = sync_to_workbook(workbook, default_directory())
    print(result.summary())
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    return run_demo(Path(args.directory))


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--reference", metavar="DIR",
                        help=f"reference tables to use (default: ${ENV_VAR}, else the bundled ones)")
    parser = argparse.ArgumentParser(
        prog="ptcalc", description="Billing engine for US outpatient physical therapy: units, fees, KX, scrub.",
        epilog="Start with `ptcalc demo` (a synthetic clinic's week, scrubbed), then `ptcalc scrub YOUR_SHEET.xlsx`; "
               "`ptcalc COMMAND -h` for a command's options.")
    parser.add_argument("--version", action="version", version=f"ptcalc {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser("demo", parents=[common], help="scrub the bundled sample charge sheet and print the summary")
    demo.add_argument("--directory", default=".", help="where to write the outputs (default: here)")
    demo.set_defaults(run=cmd_demo)

    info = sub.add_parser("info", parents=[common], help="the reference data in force, with versions and fallbacks")
    info.add_argument("--as-of", metavar="DATE", help="date to report for (default: today)")
    info.set_defaults(run=cmd_info)

    scrub = sub.add_parser("scrub", parents=[common], help="scrub a charge sheet: findings, fixes, dollars at risk")
    scrub.add_argument("input", nargs="+", help="charge sheet: .xlsx, .xlsm, .xls, .ods, .csv or a delimited .txt/.tsv "
                                                "export (or a report printed to text in columns), one row per "
                                                "claim line, a header row; or an 837 claim file. Several files or folders (and the folders in them): each is "
                                                "scrubbed into <name>.scrubbed.<format> beside it (or in the folder -o "
                                                "names). The ptcalc.yaml files in a file's folder and above (the nearest "
                                                "winning) set its locality, sheet, columns, staff and plan names (the "
                                                "options here win)")
    scrub.add_argument("-o", "--output", help="output file (default: <input>.scrubbed.xlsx beside the input; "
                                              "json and csv print to stdout); for several inputs, a folder")
    scrub.add_argument("--format", choices=("xlsx", "csv", "json"), help="output format (default: from -o, else xlsx)")
    scrub.add_argument("--sheet", help="sheet to read (default: 'Charges', else the first sheet with a header)")
    scrub.add_argument("--columns", metavar="MAP.yaml", help="column map: lines of `source header: field` for "
                                                             "headers ptcalc does not recognise")
    scrub.add_argument("--as-of", metavar="DATE", help="judge dates against this day (default: today)")
    scrub.add_argument("--jobs", type=_positive_int, default=None, metavar="N",
                       help="processes: a batch's files side by side, or one file's patient partitions (at most "
                            "one per core; default: one file of 20,000-250,000 lines judged in one process per "
                            "core, up to 4, on Linux; else 1)")
    scrub.add_argument("--locality", metavar="LOC",
                       help="the clinic's Medicare payment locality, for lines the sheet gives none: MAC-LL "
                            "(13202-01) or its name (Manhattan); default national. Prices, dollars at risk and "
                            "KX totals follow it")
    scrub.set_defaults(run=cmd_scrub)

    columns = sub.add_parser("columns", parents=[common], help="how a sheet would be read, without scrubbing it")
    columns.add_argument("input", help="charge sheet: .xlsx, .xlsm, .csv or a .txt/.tsv/.prn export (read with "
                                       "the ptcalc.yaml files in its folder and above, as the scrub reads it)")
    columns.add_argument("--sheet", help="sheet to read (default: 'Charges', else the first sheet with a header)")
    columns.add_argument("--columns", metavar="MAP.yaml", help="column map: `source header: field` lines")
    columns.set_defaults(run=cmd_columns)

    back = sub.add_parser("backtest", parents=[common],
                          help="which of a clinic's own denials (835) the scrub would have caught on its claims")
    back.add_argument("claims", help="the claims as billed: an 837P file or a charge sheet")
    back.add_argument("remits", help="the payer's 835 remittance for them")
    back.add_argument("-o", "--output", help="OUT.xlsx (default: <claims>.backtest.xlsx beside them) or OUT.json")
    back.add_argument("--as-of", metavar="DATE", help="judge dates against this day (default: today)")
    back.set_defaults(run=cmd_backtest)

    rules = sub.add_parser("rules", parents=[common], help="the rule catalogue, or all about one rule")
    rules.add_argument("rule", nargs="*", help="a rule's ID or name (MOD005, missing-assistant-modifier): what it "
                                               "finds, the fix, the source, the payers it is judged for")
    rules.add_argument("--markdown", action="store_true", help="as the Markdown of docs/rules.md")
    rules.set_defaults(run=cmd_rules)

    recalc = sub.add_parser("recalc", parents=[common],
                            help="compute every formula of a workbook (PT_* included) without Excel")
    recalc.add_argument("workbook", help=".xlsx or .xlsm")
    recalc.add_argument("-o", "--output", help="where to write the copy with values (default: <name>.values.xlsx)")
    recalc.set_defaults(run=cmd_recalc)

    sync = sub.add_parser("sync", parents=[common], help="reference tables <-> the Ref_ sheets of a workbook")
    sync.add_argument("workbook", help=".xlsx or .xlsm")
    sync.add_argument("--to-yaml", action="store_true", help="read edited Ref_ sheets back into the YAML tables")
    sync.set_defaults(run=cmd_sync)

    build = sub.add_parser("build-workbook", parents=[common], help="rebuild the shipped workbook from reference/")
    build.add_argument("-o", "--output", help="where to write it (default: workbook/ptcalc.xlsm of this checkout)")
    build.set_defaults(run=cmd_build_workbook)

    bench = sub.add_parser("bench", help="the performance goals, each beside this machine's floor")
    bench.add_argument("--lines", type=int, default=100_000, help="lines in the synthetic sheet (default 100000)")
    bench.add_argument("--claim-lines", type=int, default=10_000,
                       help="service lines in the synthetic 837P (default 10000; 0 skips; pyx12 parses ~1,000/s)")
    bench.add_argument("--million", action="store_true",
                       help="also scrub 1,000,000 lines (peak memory goal 1.5 GB; about 10 minutes)")
    bench.add_argument("--jobs", type=_positive_int, default=1, metavar="N",
                       help="processes for the heavy sheet's --jobs figure, beside the default's (default 1: "
                            "one process)")
    bench.set_defaults(run=cmd_bench)

    imp = sub.add_parser("import", parents=[common], help="turn CMS files into reference tables")
    imp.add_argument("kind", choices=("pfs", "gpci", "mue", "ptp"),
                     help="pfs: PPRRVU relative value file(s) of one year; gpci: GPCI file; "
                          "mue: practitioner MUE table; ptp: practitioner PTP edit files")
    imp.add_argument("files", nargs="+", metavar="FILE")
    imp.add_argument("--effective", metavar="DATE", help="mue: effective date when the file name has none")
    imp.set_defaults(run=cmd_import)
    return parser


def run(argv: Sequence[str] | None = None, commands: dict[str, Callable] | None = None) -> int:
    _write_utf8()
    parser = build_parser()
    if not (sys.argv[1:] if argv is None else argv):  # `ptcalc` alone: what it can do, not "COMMAND is required"
        parser.print_help(sys.stderr)
        return EXIT_UNUSABLE
    args = parser.parse_args(argv)
    if getattr(args, "reference", None):
        os.environ[ENV_VAR] = args.reference
    try:
        return args.run(args)
    except (UsageError, PtcalcInputError) as exc:
        print(f"ptcalc {args.command}: {exc}", file=sys.stderr)
    except ReferenceDataError as exc:
        print(f"ptcalc {args.command}: reference data problem: {exc}", file=sys.stderr)
    except KeyboardInterrupt:
        print(f"ptcalc {args.command}: interrupted", file=sys.stderr)
    except BrokenPipeError:
        raise  # output piped into `head` and closed early: main() ends quietly
    except MemoryError:
        print(f"ptcalc {args.command}: out of memory (split the input, or use --format csv/json)", file=sys.stderr)
    except OSError as exc:
        print(f"ptcalc {args.command}: {exc.filename or 'file'}: {exc.strerror or exc}", file=sys.stderr)
    except Exception as exc:  # noqa: BLE001 - the error boundary: one line, never a traceback
        if _broken_pool(exc):
            print(f"ptcalc {args.command}: a --jobs worker process ended without finishing (the system may have "
                  "stopped it for lack of memory); run again with fewer --jobs (--jobs 1: one process)",
                  file=sys.stderr)
            return EXIT_UNUSABLE
        if os.environ.get("PTCALC_DEBUG"):
            raise
        print(f"ptcalc {args.command}: internal error ({type(exc).__name__}: {exc}); this is a ptcalc bug, please "
              "report it with the input that caused it (PTCALC_DEBUG=1 shows the traceback)", file=sys.stderr)
    return EXIT_UNUSABLE


def _write_utf8() -> None:
    """Standard output and error in UTF-8 on every system. Windows writes a redirected stream (`ptcalc scrub week.csv
    --format json > week.json`) in its ANSI code page: a patient `Nguyễn` stopped the command, and `José` came out
    as a cp1252 byte where JSON is UTF-8 (RFC 8259). Printed reports are now the bytes `-o` writes. A console is
    written through its own Unicode interface whatever the encoding says."""
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "").replace("_", "")
        if encoding != "utf8" and hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8")


def _broken_pool(exc: Exception) -> bool:
    """A batch's --jobs worker died (a scrub's own workers are judged again in its process: judge.worker_died).
    The process pool's module is imported only by a run with processes (not at every start: it and
    multiprocessing are a fifth of the command's import time), so without it no pool ran. Checked here, not
    through the engine: the error boundary imports nothing that could itself fail."""
    pool = sys.modules.get("concurrent.futures.process")
    return pool is not None and isinstance(exc, pool.BrokenProcessPool)


def main() -> None:
    try:
        code = run()
        sys.stdout.flush()
    except BrokenPipeError:  # output piped into `head` and closed early: not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = EXIT_OK
    sys.exit(code)

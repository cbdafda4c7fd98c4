"""Scale without changing a verdict: patient partitions, several processes, streamed reading.

Each way of running the scrub is compared with the plain one on the same sheet, finding for
finding: a partition that cut a patient in two, a chunk boundary that lost a row note, or a
worker that judged with other data would each change the json.
"""
from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from ptcalc.bench import HEAVY_MISTAKES, write_sheet
from ptcalc.refdata import load_reference
from ptcalc.scrub import RawSheet, lines, runner
from ptcalc.scrub.judge import judge_lines, patient_partitions
from ptcalc.scrub.report import to_json
from ptcalc.scrub.runner import scrub_file, scrub_sheet
from ptcalc.synthetic import HEADER, charge_lines

AS_OF = date(2026, 11, 22)


@pytest.fixture(scope="module")
def heavy_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """~1,500 lines with two mistakes a visit, a total row, a blank row and a line that is not UTF-8."""
    path = tmp_path_factory.mktemp("scale") / "heavy.csv"
    rows = [[line[name] for name in HEADER] for line in charge_lines(1500, seed=7, mistake_rate=HEAVY_MISTAKES)]
    rows.insert(700, [""] * len(HEADER))
    rows.insert(900, ["Report Total"] + [""] * (len(HEADER) - 1))
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    with path.open("ab") as handle:  # a line written by a Windows program: one byte that is not UTF-8
        handle.write(b"P77,2026-03-02,97110,GP,1,15,medicare,Caf\xe9 Medicare,PT\n")
    return path


@pytest.fixture(scope="module")
def heavy_xlsx(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("scale") / "heavy.xlsx"
    write_sheet(path, 1500, HEAVY_MISTAKES)
    return path


def test_the_fixture_sheets_have_many_findings_and_the_awkward_rows(heavy_csv: Path, heavy_xlsx: Path) -> None:
    result = scrub_file(heavy_csv, as_of=AS_OF)
    assert len(result.findings) > 700
    assert result.blank_rows == 1 and list(result.not_lines.values()) == ["Report Total"]
    assert any("Windows-1252" in note for note in result.reading["source_problems"])  # the Caf\xe9 line
    assert not any("Windows-1252" in f.message for f in result.findings)
    assert len(scrub_file(heavy_xlsx, as_of=AS_OF).findings) > 700


@pytest.mark.parametrize("sheet", ["heavy_csv", "heavy_xlsx"])
def test_a_streamed_read_in_small_chunks_gives_the_same_report(sheet: str, request: pytest.FixtureRequest,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    path = request.getfixturevalue(sheet)
    whole = to_json(scrub_file(path, as_of=AS_OF))
    monkeypatch.setattr(runner, "CHUNK_ROWS", 97)  # row notes, totals and blank rows fall in later chunks
    streamed = scrub_file(path, as_of=AS_OF, stream=True)
    assert streamed.sheet.rest is None and len(streamed.sheet.rows) <= 60  # the file was never held whole
    assert to_json(streamed) == whole


# An export whose reversal and visit total sit two and three rows below the lines they refer to, with a payer
# ptcalc assumes a type for: read in passes of 2 rows, each falls in a later pass than its lines.
ACROSS_PASSES = ("Acct,DOS,CPT,Modifiers,Units,Minutes,Primary Insurance,Charges\n"
                 "R1,03/02/2026,97110,GP,2,30,Medicare,$110.00\n"
                 "R1,03/02/2026,97140,,1,15,Medicare,$55.00\n"
                 "R1,03/02/2026,97112,GP,1,15,Medicare,$55.00\n"
                 "R1,03/02/2026,97140,,-1,,Medicare,($55.00)\n"
                 "V1,03/03/2026,97110,GP,2,30,Acme Health Plan,$110.00\n"
                 "V1,03/03/2026,97140,GP,1,15,Acme Health Plan,$55.00\n"
                 "V1,03/03/2026,,,3,45,,$165.00\n")


@pytest.mark.parametrize("sheet", ["heavy_csv", "across_passes"])
def test_rows_parsed_in_passes_give_the_same_report_as_one_pass(sheet: str, request: pytest.FixtureRequest,
                                                                tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Totals, reversals and footers are found over the whole reading chunk, not the pass (runner.PASS_ROWS)."""
    if sheet == "across_passes":
        path = tmp_path / "across.csv"
        path.write_text(ACROSS_PASSES)
    else:
        path = request.getfixturevalue(sheet)
    monkeypatch.setattr(runner, "PASS_ROWS", 10**6)
    whole = to_json(scrub_file(path, as_of=AS_OF))
    monkeypatch.setattr(runner, "PASS_ROWS", 2)
    in_passes = scrub_file(path, as_of=AS_OF)
    assert to_json(in_passes) == whole
    # A column's parsed values are kept from pass to pass, and started again when there are too many
    monkeypatch.setattr(lines, "PARSED_VALUES_KEPT", 3)
    assert to_json(scrub_file(path, as_of=AS_OF)) == whole
    if sheet == "across_passes":
        assert in_passes.not_lines == {3: "reversed by row 5", 5: "a reversal (negative units or charge) of row 3",
                                       8: "a visit's total: the sums of rows 6-7"}
        assert [line.row for line in in_passes.lines if line.assumed] == [6, 7]  # the plan's type, assumed
        assert {(f.row, f.rule) for f in in_passes.findings} == {(6, "DAT008"), (7, "DAT008")}


@pytest.mark.parametrize("chunk", [2, 3, 4, 5])  # a chunk runs on by at most its own size
def test_a_reading_chunk_never_cuts_a_visit_from_its_total_or_a_charge_from_its_reversal(
        chunk: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks end where the patient or date changes (runner._reading_chunks): before, a chunk that ended
    between a visit's lines and its total row read the total as a line missing its code (DAT001)."""
    path = tmp_path / "across.csv"
    path.write_text(ACROSS_PASSES)
    whole = to_json(scrub_file(path, as_of=AS_OF))
    monkeypatch.setattr(runner, "CHUNK_ROWS", chunk)
    streamed = scrub_file(path, as_of=AS_OF, stream=True)
    assert to_json(streamed) == whole
    assert set(streamed.not_lines) == {3, 5, 8}


def test_a_streamed_read_keeps_columns_when_the_sheet_starts_right_of_column_a(tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Exports often leave column A (and a row or two) empty; python-calamine's row iterator starts at
    the first used column, the whole-sheet read at A1. An error cell must land on its own field."""
    import xlsxwriter

    path = tmp_path / "offset.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Charges")
    sheet.write_row(2, 2, ["patient_id", "dos", "cpt", "units", "minutes", "modifiers"])
    for r, line in enumerate(charge_lines(300, seed=3, mistake_rate=HEAVY_MISTAKES), start=3):
        sheet.write_row(r, 2, [line["patient_id"], line["dos"], line["cpt"], line["units"], line["minutes"],
                               line["modifiers"]])
    sheet.write_formula(40, 6, "=NA()", None, "#N/A")  # minutes of sheet row 41
    book.close()
    whole = scrub_file(path, as_of=AS_OF)
    assert any(f.row == 41 and f.field == "minutes" and "#N/A" in f.message for f in whole.findings)
    assert whole.reading["fields"]["minutes"].endswith("(G)"), whole.reading["fields"]
    monkeypatch.setattr(runner, "CHUNK_ROWS", 50)
    assert to_json(scrub_file(path, as_of=AS_OF, stream=True)) == to_json(whole)


@pytest.mark.parametrize(("size", "jobs", "fork"), [(40, 1, True), (300, 2, True), (300, 2, False),
                                                    (10_000, 1, True)])
def test_partitions_and_processes_give_the_same_findings(heavy_csv: Path, size: int, jobs: int, fork: bool,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """fork=False: the way Windows starts workers (each partition and the reference data pickled); 10,000:
    the sheet's ~1,500 lines judged as one partition, against the scrub's own partitions of PARTITION_LINES."""
    from ptcalc.scrub import judge

    monkeypatch.setattr(judge, "forking", lambda: fork)
    plain = scrub_file(heavy_csv, as_of=AS_OF)
    ref = load_reference()
    judged = judge_lines(plain.lines, ref, set(plain.columns), AS_OF, jobs=jobs, partition_lines=size)
    assert [f.as_dict() for f in judged.findings] == [f.as_dict() for f in plain.findings]
    assert judged.expected_units == plain.expected_units


@pytest.mark.parametrize("fork", [True, False])
def test_charges_listed_for_each_payer_are_judged_once_in_any_process(fork: bool, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The lines a worker finds listed again for another payer come back with its findings (payer_copies.py)."""
    from ptcalc.scrub import judge

    monkeypatch.setattr(judge, "forking", lambda: fork)
    monkeypatch.setattr(judge, "usable_cores", lambda: 2)
    sheet = tmp_path / "claims.csv"
    sheet.write_text("claim_id,patient_id,dos,payer,cpt,modifiers,units,minutes\n" + "".join(
        f"A{n},P{n},2026-03-02,Medicare,97110,GP,2,30\nB{n},P{n},2026-03-02,Mutual of Omaha Medigap,97110,GP,2,30\n"
        for n in range(40)))
    one = scrub_file(sheet, as_of=AS_OF)
    assert sorted(one.not_lines) == list(range(3, 82, 2)) and one.findings == [] and len(one.lines) == 40
    two = scrub_file(sheet, as_of=AS_OF, jobs=2)  # two partitions of 40 lines, one in a worker
    assert two.not_lines == one.not_lines and to_json(two) == to_json(one)


@pytest.mark.parametrize("jobs", [1, 2])
def test_the_data_versions_are_those_of_the_last_date_of_service_judged(jobs: int, tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The last judgeable line's date sets the reference data named (a line with an unknown code does not), in
    one process or two, each judging other patients; a sheet with no judgeable line names the as-of date's."""
    from ptcalc.scrub import judge

    monkeypatch.setattr(judge, "usable_cores", lambda: 2)
    sheet = tmp_path / "december.csv"
    sheet.write_text("patient_id,dos,payer,cpt,modifiers,units,minutes\n"
                     + "".join(f"P{n},2025-06-{n + 1:02d},Medicare,97110,GP,1,15\n" for n in range(1, 9))
                     + "P9,2025-12-29,Medicare,97110,GP,1,15\nP10,2026-02-01,Medicare,99999,GP,1,15\n")
    versions = scrub_file(sheet, as_of=AS_OF, jobs=jobs).versions
    assert versions["as_of"] == "2025-12-29" and versions["kx_threshold"].startswith("2025:")
    sheet.write_text("patient_id,dos,payer,cpt,modifiers,units,minutes\nP10,2026-02-01,Medicare,99999,GP,1,15\n")
    assert scrub_file(sheet, as_of=AS_OF, jobs=jobs).versions["as_of"] == AS_OF.isoformat()


def test_the_cli_with_two_jobs_writes_the_same_json(heavy_xlsx: Path, tmp_path: Path) -> None:
    from .test_reference import run_cli

    outputs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"jobs{jobs}.json"
        result = run_cli("scrub", str(heavy_xlsx), "-o", str(out), "--as-of", AS_OF.isoformat(), "--jobs", jobs)
        assert result.returncode == 1, result.stderr  # the heavy sheet has errors
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    refused = run_cli("scrub", str(heavy_xlsx), "--jobs", "0")
    assert refused.returncode == 2 and "not a number of processes" in refused.stderr


def test_processes_are_chosen_by_the_sheet_size_the_cores_and_the_platform(monkeypatch: pytest.MonkeyPatch) -> None:
    """--jobs not given: one process per core (at most AUTO_JOBS_MAX) for 20,000-250,000 lines where workers
    start by fork; one process for a small sheet (a worker costs what it saves), a very large one (the
    workers' memory adds up) and where workers would be spawned (every line sent to them)."""
    import sys

    from ptcalc.scrub import judge

    monkeypatch.setattr(judge, "forking", lambda: True)
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(judge, "usable_cores", lambda: 2)
    assert [judge.auto_jobs(n) for n in (1, 19_999, 20_000, 100_000, 250_000, 250_001, 1_000_000)] == \
        [1, 1, 2, 2, 2, 1, 1]
    monkeypatch.setattr(judge, "usable_cores", lambda: 16)
    assert judge.auto_jobs(100_000) == 4
    monkeypatch.setattr(judge, "usable_cores", lambda: 1)
    assert judge.auto_jobs(100_000) == 1
    monkeypatch.setattr(judge, "usable_cores", lambda: 2)
    monkeypatch.setattr(sys, "platform", "darwin")
    assert judge.auto_jobs(100_000) == 1
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(judge, "forking", lambda: False)
    assert judge.auto_jobs(100_000) == 1


def test_the_cores_a_process_may_use_are_its_affinity_within_its_cpu_quota(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A container's cpuset or `taskset` leaves a process fewer cores than the machine has, and a container's
    CPU quota (`docker --cpus`, cgroup v2's cpu.max) less time than its cores: processes are counted against
    what is left; where the system keeps no affinity (macOS, Windows), against the machine's cores."""
    import os

    from ptcalc import cores

    quota = tmp_path / "cpu.max"
    monkeypatch.setattr(cores, "CPU_QUOTA", quota)  # not written yet: no cgroup v2 file
    monkeypatch.setattr(os, "cpu_count", lambda: 16)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {3, 5, 7}, raising=False)
    assert cores.usable_cores() == 3
    for written, expected in (("max 100000\n", 3), ("150000 100000\n", 1), ("200000 100000\n", 2),
                              ("800000 100000\n", 3), ("50000 100000\n", 1), ("", 3)):
        quota.write_text(written)
        assert cores.usable_cores() == expected, written
    quota.unlink()
    monkeypatch.delattr(os, "sched_getaffinity")
    assert cores.usable_cores() == 16
    monkeypatch.setattr(os, "cpu_count", lambda: None)
    assert cores.usable_cores() == 1


@pytest.mark.parametrize("shape", ["synthetic", "export"])
def test_the_command_line_without_jobs_judges_a_large_sheet_in_processes(shape: str, heavy_xlsx: Path, tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The default decides from the lines read (here the bound lowered to the test sheet's size): the same
    json as one process, on the bench's sheet and on a practice-management export (a title row, split
    modifier columns, a totals row: tests/test_exports.py)."""
    import sys

    from ptcalc.cli import run
    from ptcalc.scrub import judge

    from .test_exports import export_xlsx

    source = heavy_xlsx if shape == "synthetic" else export_xlsx(tmp_path / "export.xlsx")
    monkeypatch.setattr(judge, "AUTO_JOBS_LINES", (10, 250_000))
    monkeypatch.setattr(judge, "usable_cores", lambda: 2)
    monkeypatch.setattr(sys, "platform", "linux")
    in_processes = judge._judge_in_processes
    used: list[int] = []
    monkeypatch.setattr(judge, "_judge_in_processes", lambda shares, *rest: used.append(len(shares)) or
                        in_processes(shares, *rest))
    outputs = {}
    for jobs in ([], ["--jobs", "1"]):
        out = tmp_path / f"out{len(jobs)}.json"
        assert run(["scrub", str(source), "-o", str(out), "--as-of", AS_OF.isoformat(), *jobs]) == 1
        outputs[len(jobs)] = out.read_bytes()
    assert used == [2]  # the default: two processes; --jobs 1: none started
    assert outputs[0] == outputs[2]
    assert json.loads(outputs[0])["findings"]
    monkeypatch.setattr(judge, "AUTO_JOBS_LINES", (10**7, 10**8))
    assert run(["scrub", str(source), "-o", str(tmp_path / "small.json"), "--as-of", AS_OF.isoformat()]) == 1
    assert used == [2]  # below the bound: judged in this process
    assert (tmp_path / "small.json").read_bytes() == outputs[2]


@pytest.mark.parametrize("refusal", [NotImplementedError("This Python lacks sem_open"),
                                     OSError(11, "Resource temporarily unavailable")])
def test_where_worker_processes_cannot_start_this_process_judges_them(heavy_csv: Path, refusal: Exception,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A container without /dev/shm has no semaphores; a machine at its process limit refuses fork: the scrub
    that would use workers (by default or by --jobs) judges in its own process, with the same findings."""
    import concurrent.futures

    from ptcalc.scrub import judge

    def refused(*args: object, **kwargs: object) -> None:
        raise refusal

    plain = scrub_file(heavy_csv, as_of=AS_OF)
    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", refused)
    monkeypatch.setattr(judge, "auto_jobs", lambda lines: 2)
    monkeypatch.setattr(judge, "usable_cores", lambda: 2)
    for jobs in (None, 2):
        judged = judge_lines(plain.lines, load_reference(), set(plain.columns), AS_OF, jobs=jobs, partition_lines=300)
        assert [f.as_dict() for f in judged.findings] == [f.as_dict() for f in plain.findings]
        assert judged.expected_units == plain.expected_units


def test_a_worker_that_dies_leaves_its_partitions_to_this_process(heavy_csv: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The system stops a worker (out of memory): the scrub judges its partitions here, with the same findings."""
    import os

    from ptcalc.scrub import judge

    plain = scrub_file(heavy_csv, as_of=AS_OF)
    parent, judge_partition = os.getpid(), judge.judge_partition

    def killed_in_a_worker(*args: object) -> judge.Judgement:
        if os.getpid() != parent:
            os._exit(9)  # what the out-of-memory killer leaves behind
        return judge_partition(*args)

    monkeypatch.setattr(judge, "judge_partition", killed_in_a_worker)
    monkeypatch.setattr(judge, "usable_cores", lambda: 2)
    monkeypatch.setattr(judge, "forking", lambda: True)
    judged = judge_lines(plain.lines, load_reference(), set(plain.columns), AS_OF, jobs=2, partition_lines=300)
    assert [f.as_dict() for f in judged.findings] == [f.as_dict() for f in plain.findings]
    assert judged.expected_units == plain.expected_units


_INTERRUPTED = """
import os, signal, sys, threading, time
from pathlib import Path
from ptcalc import batch
from ptcalc.scrub import judge
mode, source, marker, output = sys.argv[1], sys.argv[2], Path(sys.argv[3]), sys.argv[4]
parent = os.getpid()
if mode == "partitions":  # this process judges slowly, its worker quickly: the worker then waits for work
    judge_partition = judge.judge_partition
    def slowly(*args):
        marker.write_text("judging")
        time.sleep(3 if os.getpid() == parent else 0)
        return judge_partition(*args)
    judge.judge_partition = slowly
else:  # a batch of three files, one slow: the other worker scrubs the other two, then waits for work
    scrub_in_batch = batch.scrub_in_batch
    def slowly(source, *args):
        if source.name == "b.csv":
            marker.write_text("scrubbing")
            time.sleep(3)
        return scrub_in_batch(source, *args)
    batch.scrub_in_batch = slowly
def ctrl_c():  # what a terminal does: SIGINT to every process of the command
    while not marker.exists():
        time.sleep(0.05)
    time.sleep(1)
    os.killpg(0, signal.SIGINT)
threading.Thread(target=ctrl_c, daemon=True).start()
from ptcalc.cli import main
sys.argv = ["ptcalc", "scrub", source, "--format", "json", "--jobs", "2", "-o", output]
main()
"""


@pytest.mark.parametrize("mode", ["partitions", "batch"])
def test_ctrl_c_with_worker_processes_is_one_line(mode: str, heavy_xlsx: Path, tmp_path: Path) -> None:
    """Ctrl-C reaches the workers too: one waiting for work printed a traceback. The parent says it stopped."""
    import subprocess
    import sys

    if mode == "batch":
        source = tmp_path / "clinics"
        source.mkdir()
        for name in ("a", "b", "c"):
            (source / f"{name}.csv").write_text("patient_id,dos,cpt,units,minutes,modifiers\n"
                                                "C1,2026-03-02,97110,1,15,GP\n")
        output = tmp_path / "out"
        output.mkdir()
    else:
        source, output = heavy_xlsx, tmp_path / "out.json"
    command = [sys.executable, "-c", _INTERRUPTED, mode, str(source), str(tmp_path / "marker"), str(output)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, start_new_session=True)
    assert (tmp_path / "marker").exists()
    assert done.stderr.strip().splitlines() == ["ptcalc scrub: interrupted"], done.stderr
    assert done.returncode == 2


def test_a_patient_is_never_split_and_the_partitions_are_stable(heavy_csv: Path) -> None:
    lines = scrub_file(heavy_csv, as_of=AS_OF).lines
    parts = patient_partitions(lines, 100)
    assert len(parts) > 5 and sum(map(len, parts)) == len(lines)
    owner: dict[object, int] = {}
    for number, part in enumerate(parts):
        for line in part:
            assert owner.setdefault(line.patient_id, number) == number
        assert [l.row for l in part] == sorted(l.row for l in part)
    assert [[l.row for l in p] for p in patient_partitions(lines, 100)] == [[l.row for l in p] for p in parts]


def test_the_lite_path_and_the_fast_path_agree_on_a_heavy_sheet(heavy_xlsx: Path, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """xlwings Lite runs the macro over rows in memory, in one process, without orjson; the command line
    streams the file, partitions it over processes and encodes with orjson. Same sheet, same report."""
    import json
    import openpyxl

    from ptcalc.scrub import report
    from udfs.macros import scrub_book

    from .fakebook import FakeBook
    from .test_reference import run_cli

    out = tmp_path / "fast.json"
    done = run_cli("scrub", str(heavy_xlsx), "-o", str(out), "--as-of", AS_OF.isoformat(), "--jobs", "2")
    assert done.returncode == 1, done.stderr
    fast = json.loads(out.read_bytes())
    lite = scrub_book(FakeBook(openpyxl.load_workbook(heavy_xlsx)), as_of=AS_OF)
    assert [f.as_dict() for f in lite.findings] == fast["findings"]

    standard = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
    monkeypatch.setattr(report, "_encode", lambda value: standard.encode(value).encode("utf-8"))
    assert report.to_json(scrub_file(heavy_xlsx, as_of=AS_OF)).encode("utf-8") == out.read_bytes()


def test_prices_remembered_by_day_shape_stay_with_their_year_locality_and_modifiers(tmp_path: Path) -> None:
    """Days of the same codes and units share one pricing (ptcalc.scrub.context.remembered): never across
    fee-schedule years, localities or CQ; each line's allowed amount is what PT_FEE gives for its day alone."""
    from ptcalc.fees import visit_fee
    from ptcalc.scrub.context import ScrubContext

    days = [("P1", "2025-06-02", "national", "GP"), ("P2", "2026-06-01", "national", "GP"),
            ("P3", "2026-06-01", "13202-01", "GP"), ("P4", "2026-06-01", "national", "GP CQ"),
            ("P5", "2026-06-08", "national", "GP")]
    path = tmp_path / "days.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["patient_id", "dos", "cpt", "modifiers", "units", "minutes", "locality"])
        for patient, day, locality, modifiers in days:
            writer.writerow([patient, day, "97110", modifiers, 2, 30, locality])
            writer.writerow([patient, day, "97140", "GP", 1, 15, locality])
    ref = load_reference()
    result = scrub_file(path, as_of=AS_OF, ref=ref)
    ctx = ScrubContext(ref, result.lines, set(result.columns), AS_OF)
    allowed = {}
    for patient, day, locality, modifiers in days:
        lines = [line for line in result.lines if line.patient_id == patient]
        fee = visit_fee([l.cpt for l in lines], [l.units for l in lines], locality, day,
                        [" ".join(l.modifiers) for l in lines], reference=ref)
        assert [ctx.allowed(line) for line in lines] == [f.amount for f in fee.lines], patient
        allowed[patient] = ctx.allowed(lines[0])
    assert len({allowed["P1"], allowed["P2"], allowed["P3"], allowed["P4"]}) == 4  # year, locality, CQ all count
    assert allowed["P5"] == allowed["P2"]  # another date of the same year and place: the same price


def test_a_judgement_crosses_between_processes_whole() -> None:
    """`--jobs` pickles judgements back from its workers (findings as columns); every field of every
    finding, the claim's ids too, and the expected units and pricing fallbacks must survive."""
    import pickle
    from decimal import Decimal

    from ptcalc.scrub.findings import Finding
    from ptcalc.scrub.judge import Judgement

    findings = [Finding(7, "PTP001", "ncci-pair-needs-modifier", "warning", "bypassed", "97140 carries 59", "fix",
                        Decimal("31.02"), "P9", date(2026, 3, 2), "97140", "NCCI", "modifiers", "CLM-1", "2"),
                Finding(8, "UNT001", "units-exceed-time", "error", "fail", "3 units for 20 minutes", "fix 2",
                        None, "P10", None, None, "CMS", None)]
    judgement = Judgement(findings, {7: 2, 8: None}, {"national"}, date(2026, 3, 2))
    crossed = pickle.loads(pickle.dumps(judgement))
    assert crossed.findings == findings and crossed.findings[1].claim_id is None
    assert crossed.expected_units == {7: 2, 8: None} and crossed.pricing_fallbacks == {"national"}
    assert crossed.latest_service == date(2026, 3, 2)
    for earlier, later in ((None, date(2026, 1, 5)), (date(2026, 1, 5), None), (date(2026, 2, 1), date(2025, 12, 1))):
        together = Judgement(latest_service=earlier)
        together.add(Judgement(latest_service=later))
        assert together.latest_service == max(filter(None, (earlier, later)))
    assert pickle.loads(pickle.dumps(Judgement())).findings == []


def test_the_lite_runtime_without_multiprocessing_still_scrubs(heavy_xlsx: Path) -> None:
    """Pyodide (xlwings Lite) removes _multiprocessing from the standard library, so importing
    ProcessPoolExecutor fails there: the engine and the macro import it only when --jobs asks for
    processes. Before: `import ptcalc.scrub` itself failed, so the Lite scrub could not start."""
    import subprocess
    import sys

    from .conftest import ROOT

    code = (
        "import sys\n"
        "sys.modules['_multiprocessing'] = None  # as in Pyodide\n"
        "import openpyxl\n"
        "from udfs.macros import scrub_book\n"
        "from tests.fakebook import FakeBook\n"
        "from datetime import date\n"
        f"result = scrub_book(FakeBook(openpyxl.load_workbook({str(heavy_xlsx)!r})), as_of=date(2026, 11, 22))\n"
        "print(len(result.findings), 'multiprocessing.connection' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    count, imported = done.stdout.split()
    assert int(count) > 0 and imported == "False"


def test_the_bench_start_figures_time_scrubs_that_ran(tmp_path: Path) -> None:
    """`ptcalc bench`'s start-up figures: each scrub ran to its end (its json written), the first kept the
    reference parse, and the floor is a process that only reads."""
    from ptcalc.bench import START_LINES, _start_figures

    figures = _start_figures(tmp_path, runs=1)
    assert [name for name, *_ in figures] == [f"{START_LINES} lines: ptcalc scrub, new process",
                                              f"{START_LINES} lines: the same, PTCALC_CACHE=off"]
    report = json.loads((tmp_path / "start.json").read_text(encoding="utf-8"))
    assert report["summary"]["lines"] == START_LINES
    assert list((tmp_path / "parse-cache").glob("parsed-yaml/yaml-*.json"))
    assert all(value > 0 and floor > 0 for _, value, floor, *_ in figures)


def test_the_bench_times_pt_fee_pricing_visits_it_has_not_priced_before(monkeypatch: pytest.MonkeyPatch) -> None:
    from ptcalc import bench, fees
    from udfs import PT_FEE

    ref = load_reference()
    fees.pricer_for(ref, date(max(ref.fee_schedules), 1, 1), "national")._visits.clear()  # PT_FEE's default pricer
    priced = []
    price = fees.VisitPricer.price_anew
    monkeypatch.setattr(fees.VisitPricer, "price_anew", lambda self, *visit: priced.append(visit) or price(self, *visit))
    arguments = bench.visits_not_priced_before(bench.WARM_UP_CALLS + 40)
    assert bench._median_over_us(PT_FEE, arguments) > 0
    assert len(priced) == len(arguments)  # every call priced its visit: none was a remembered one
    bench._median_call_us(PT_FEE, "97110", 1.0, calls=40)
    assert len(priced) == len(arguments) + 1  # the repeated call: priced once, then remembered


def test_the_bench_says_where_a_scrub_s_time_went(tmp_path: Path) -> None:
    """Each step of a json or csv scrub timed by the scrub itself (ScrubResult.timings) and the report's write by
    the bench: every step there, none more than the whole run; the fastest run's steps kept beside its time."""
    from ptcalc.bench import _best_interleaved, _scrub_to_json

    sheet = tmp_path / "charges.xlsx"
    write_sheet(sheet, 300)
    said: dict[str, object] = {}
    best = _best_interleaved({"json": lambda: _scrub_to_json(sheet, tmp_path / "out.json"),
                              "csv": lambda: _scrub_to_json(sheet, tmp_path / "out.csv", fmt="csv")}, 2, said)
    for name in ("json", "csv"):
        steps = said[name]
        assert list(steps) == ["read", "lines", "judge", "report"]
        assert all(seconds > 0 for seconds in steps.values()) and sum(steps.values()) <= best[name]
    assert json.loads((tmp_path / "out.json").read_text())["summary"]["lines"] == 300
    assert scrub_sheet(RawSheet(Path("in memory"), "Charges", [["patient_id", "dos", "cpt", "units"],
                                                              ["P1", "2026-03-02", "97110", "1"]]),
                       as_of=date(2026, 4, 1)).timings.keys() == {"lines", "judge"}  # nothing read from a file


def test_the_bench_times_the_annotated_copy_in_a_new_process(tmp_path: Path) -> None:
    """As `ptcalc scrub` runs it: the figures come back from a process of their own, the copy written there."""
    from ptcalc.bench import _annotated_copy_figures_anew

    sheet = tmp_path / "charges.xlsx"
    write_sheet(sheet, 300)
    figures = _annotated_copy_figures_anew(sheet, tmp_path, "300: annotated", 1)
    assert [(name, floor_is) for name, _, _, _, floor_is, _ in figures][0] == \
        ("300: annotated", "read + write the same cells (XlsxWriter)")
    assert all(copy > 0 and floor > 0 and unit == "s" and goal == 1.5 for _, copy, floor, unit, _, goal in figures)
    assert len({copy for _, copy, *_ in figures}) == 1  # one copy's time, beside each floor
    report = openpyxl.load_workbook(tmp_path / "out.xlsx", read_only=True)["Scrub Report"]
    assert report.max_row > 1

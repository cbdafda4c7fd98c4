"""`ptcalc scrub` over a billing company's batch: several files or a folder, each scrubbed as it would be
alone, a file that cannot be read said in one line while the others go on, the batch's worst exit."""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from pathlib import Path

import pytest

from .conftest import ROOT
from .test_reference import run_cli

AS_OF = "2026-11-22"
SAMPLE = ROOT / "ptcalc" / "samples" / "clinic_week.csv"
CLEAN = "patient_id,dos,cpt,units,minutes,modifiers\nC1,2026-03-02,97110,1,15,GP\n"


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_a_folder_is_scrubbed_file_by_file_like_each_file_alone(tmp_path: Path) -> None:
    clinics, out = tmp_path / "clinics", tmp_path / "out"
    clinics.mkdir()
    out.mkdir()
    shutil.copy(SAMPLE, clinics / "north.csv")
    (clinics / "south.csv").write_text(CLEAN)
    (clinics / "notes.csv").write_text("x,y\n1,2\n")                 # no charge header: said, not fatal
    (clinics / "north.scrubbed.json").write_text("{}")              # an earlier output is not an input
    (clinics / "readme.pdf").write_bytes(b"%PDF")                   # not a kind the scrub reads
    before = _digests(clinics)
    result = run_cli("scrub", str(clinics), "--format", "json", "-o", str(out), "--as-of", AS_OF)
    assert result.returncode == 2  # the worst of the batch: a file could not be read
    assert sorted(p.name for p in out.iterdir()) == ["batch-summary.scrubbed.csv", "north.scrubbed.json",
                                                     "south.scrubbed.json"]
    assert result.stdout.splitlines()[-1] == ("batch of 3 files: 2 scrubbed, 1 with error findings, 1 could not be "
                                              "read (notes.csv)")
    refused = [line for line in result.stderr.splitlines() if line.startswith("ptcalc scrub:")]
    assert len(refused) == 1 and "notes.csv: no header row names" in refused[0]
    assert _digests(clinics) == before
    alone = run_cli("scrub", str(clinics / "north.csv"), "--format", "json", "--as-of", AS_OF)
    assert (out / "north.scrubbed.json").read_text() == alone.stdout


def test_several_files_write_beside_each_and_exit_with_the_worst(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    clean, flagged = tmp_path / "a" / "clean.csv", tmp_path / "flagged.csv"
    clean.write_text(CLEAN)
    shutil.copy(SAMPLE, flagged)
    twice = run_cli("scrub", str(clean), str(clean), "--format", "csv", "--as-of", AS_OF)
    assert twice.returncode == 2 and "two inputs of the same name" in twice.stderr  # they would write one file
    result = run_cli("scrub", str(clean), str(flagged), "--as-of", AS_OF)
    assert result.returncode == 1
    assert (tmp_path / "a" / "clean.scrubbed.xlsx").is_file() and (tmp_path / "flagged.scrubbed.xlsx").is_file()


def test_a_batch_names_a_folder_for_its_outputs(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text(CLEAN)
    (tmp_path / "b.csv").write_text(CLEAN)
    result = run_cli("scrub", str(tmp_path / "a.csv"), str(tmp_path / "b.csv"), "-o", str(tmp_path / "out.json"))
    assert result.returncode == 2 and result.stderr.strip().splitlines() == [
        f"ptcalc scrub: -o {tmp_path / 'out.json'}: with several inputs, -o names an existing folder for the outputs"]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "hold no charge sheet or claim file" in run_cli("scrub", str(empty)).stderr
    clean = run_cli("scrub", str(tmp_path / "a.csv"), str(tmp_path / "b.csv"), "--format", "json", "--as-of", AS_OF)
    assert clean.returncode == 0 and clean.stdout.splitlines()[-1] == "batch of 2 files: 2 scrubbed, 0 with error findings"


def test_one_file_into_a_folder(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "a.csv").write_text(CLEAN)
    result = run_cli("scrub", str(tmp_path / "a.csv"), "-o", str(tmp_path / "out"), "--format", "csv", "--as-of", AS_OF)
    assert result.returncode == 0 and (tmp_path / "out" / "a.scrubbed.csv").is_file()


def test_a_batch_with_jobs_scrubs_files_side_by_side_and_says_the_same_in_the_same_order(tmp_path: Path) -> None:
    """--jobs 2 on a batch: files go to two processes; every output byte, every printed line and their
    order, and the exit status are those of the one-process batch."""
    clinics = tmp_path / "clinics"
    clinics.mkdir()
    shutil.copy(SAMPLE, clinics / "a_north.csv")
    (clinics / "b_notes.csv").write_text("x,y\n1,2\n")  # unreadable: said in its place, the others go on
    (clinics / "c_south.csv").write_text(CLEAN)
    shutil.copy(SAMPLE, clinics / "d_east.csv")
    said = {}
    for jobs in ("1", "2"):
        out = tmp_path / f"out{jobs}"
        out.mkdir()
        result = run_cli("scrub", str(clinics), "--format", "json", "-o", str(out), "--as-of", AS_OF, "--jobs", jobs)
        said[jobs] = (result.returncode, result.stdout.replace(str(out), "OUT"), result.stderr,
                      _digests(out))
    assert said["2"] == said["1"]
    code, stdout, stderr, outputs = said["1"]
    assert code == 2 and sorted(outputs) == ["a_north.scrubbed.json", "batch-summary.scrubbed.csv",
                                             "c_south.scrubbed.json", "d_east.scrubbed.json"]
    assert [re.search(r" lines? of ([^:]+):", line)[1] for line in stdout.splitlines()[:-2]] == [
        "a_north.csv", "c_south.csv", "d_east.csv"]
    assert stderr.count("b_notes.csv") == 1


def _worker_killed(*args: object) -> None:
    os._exit(9)  # what the system's out-of-memory killer leaves behind


def test_a_batch_worker_that_dies_is_said_in_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture) -> None:
    from ptcalc import batch, cores
    from ptcalc.cli import run

    (tmp_path / "a.csv").write_text(CLEAN)
    (tmp_path / "b.csv").write_text(CLEAN)
    monkeypatch.setattr(batch, "scrub_captured", _worker_killed)
    monkeypatch.setattr(cores, "usable_cores", lambda: 2)
    assert run(["scrub", str(tmp_path), "--format", "json", "--jobs", "2"]) == 2
    said = capsys.readouterr().err.strip().splitlines()
    assert said == ["ptcalc scrub: a --jobs worker process ended without finishing (the system may have stopped it "
                    "for lack of memory); run again with fewer --jobs (--jobs 1: one process)"]


def test_a_spawned_worker_importing_python_m_ptcalc_does_not_run_the_command_again() -> None:
    """On Windows, --jobs workers start by spawn, which imports the parent's main module as __mp_main__:
    `python -m ptcalc scrub ... --jobs 2` must not run a second scrub (or exit) inside each worker."""
    import runpy
    import sys

    saved = sys.argv
    sys.argv = ["ptcalc", "scrub", "no-such-file.csv"]  # what main() would act on, and exit over
    try:
        runpy.run_module("ptcalc.__main__", run_name="__mp_main__")
    finally:
        sys.argv = saved


def test_a_batch_with_jobs_where_workers_start_by_spawn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture) -> None:
    """Windows has no fork: the batch's workers start by spawn and get each file by name; same outputs."""
    from ptcalc import cores
    from ptcalc.cli import run
    from ptcalc.scrub import judge

    shutil.copy(SAMPLE, tmp_path / "north.csv")
    (tmp_path / "south.csv").write_text(CLEAN)
    monkeypatch.setattr(cores, "usable_cores", lambda: 2)
    outputs = {}
    for jobs, fork in (("1", True), ("2", False)):
        monkeypatch.setattr(judge, "forking", lambda fork=fork: fork)
        out = tmp_path / f"out{jobs}"
        out.mkdir()
        assert run(["scrub", str(tmp_path), "--format", "json", "-o", str(out), "--as-of", AS_OF, "--jobs", jobs]) == 1
        outputs[jobs] = (_digests(out), capsys.readouterr().out.replace(str(out), "OUT"))
    assert outputs["2"] == outputs["1"] and len(outputs["1"][0]) == 3  # two outputs and the batch's summary


UNNAMED = "Ident,dos,cpt,units,minutes,modifiers,charge\nA1,2026-03-02,97110,1,15,GP,$20.00\n"  # `Ident`: no field
PRICED = "patient_id,dos,cpt,units,minutes,modifiers,charge\nB1,2026-03-02,97110,1,15,GP,$20.00\n"


def _clinics(tmp_path: Path) -> Path:
    """A billing company's folder: a folder per clinic, each with its settings, one of them kept by year."""
    company = tmp_path / "company"
    for folder, settings in (("manhattan", "locality: Manhattan\ncolumns:\n  Ident: patient_id\n"),
                             ("miami", "locality: 09102-04\n"), ("national", None)):
        (company / folder / "2026").mkdir(parents=True)
        if settings:
            (company / folder / "ptcalc.yaml").write_text(settings)
    (company / "manhattan" / "2026" / "week.csv").write_text(UNNAMED)
    (company / "miami" / "2026" / "week.csv").write_text(PRICED)
    (company / "national" / "week.csv").write_text(PRICED)
    (company / "national" / "2026" / "week.csv").write_text(CLEAN)
    (company / ".trash").mkdir()
    (company / ".trash" / "old.csv").write_text("x,y\n1,2\n")  # hidden: not part of the batch
    return company


def _cov004(document: dict) -> list[str]:
    return [f["message"] for f in document["findings"] if f["rule"] == "COV004"]


def test_a_folder_of_clinics_is_scrubbed_each_clinic_with_its_own_settings(tmp_path: Path) -> None:
    """Before: a folder's subfolders were not looked in (a billing company's folder of clinics held "no charge
    sheet"), and a locality or column map could only be given for the whole batch: every clinic priced at one
    locality, and a clinic whose export heads the patient `Ident` could not be read."""
    import json

    company, out = _clinics(tmp_path), tmp_path / "out"
    out.mkdir()
    result = run_cli("scrub", str(company), "--format", "json", "-o", str(out), "--as-of", AS_OF)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "batch of 4 files: 4 scrubbed, 0 with error findings"
    written = sorted(str(p.relative_to(out)) for p in out.rglob("*.json"))
    assert written == ["manhattan/2026/week.scrubbed.json", "miami/2026/week.scrubbed.json",
                       "national/2026/week.scrubbed.json", "national/week.scrubbed.json"]
    manhattan = json.loads((out / "manhattan/2026/week.scrubbed.json").read_text())
    miami = json.loads((out / "miami/2026/week.scrubbed.json").read_text())
    national = json.loads((out / "national/week.scrubbed.json").read_text())
    assert _cov004(manhattan) == ["97110: billed $20.00, below the $32.43 allowed for it at 13202-01; the lesser of "
                                  "the two is paid"]
    assert len(_cov004(miami)) == 1 and "at 09102-04" in _cov004(miami)[0]
    assert _cov004(national) == []  # national rates judge no fee: no clinic's locality leaks into another's
    settings = manhattan["reading"]["settings"]
    assert settings.endswith("manhattan/ptcalc.yaml: locality 13202-01, 1 column name")
    assert "ptcalc.yaml" in manhattan["reading"]["locality"] and "settings" not in national["reading"]
    alone = run_cli("scrub", str(company / "manhattan" / "2026" / "week.csv"), "--format", "json", "--as-of", AS_OF)
    assert json.loads(alone.stdout)["findings"] == manhattan["findings"]  # alone, the file finds its settings too


def test_a_companys_settings_hold_for_its_clinics_and_a_clinics_own_win(tmp_path: Path) -> None:
    """A billing company names its region's plans once, above its clinics; each clinic its locality and staff.
    The files above an export add up, the nearest winning (before: only the nearest was read, so a clinic with
    a ptcalc.yaml of its own lost the company's plan names)."""
    import json

    company = tmp_path / "company"
    (company / "miami").mkdir(parents=True)
    (company / "ptcalc.yaml").write_text("locality: national\npayers:\n  Sunshine Senior Plan: medicare_advantage\n"
                                         "  Gulf Plan: medicaid\n")
    (company / "miami" / "ptcalc.yaml").write_text("locality: 09102-04\npayers:\n  Gulf Plan: commercial\n"
                                                   "providers:\n  Kim Lee: PTA\n")
    (company / "miami" / "week.csv").write_text(
        "Patient,DOS,CPT,Modifiers,Units,Minutes,Rendering Provider,Primary Insurance,Charge\n"
        'R1,03/02/2026,97110,GP,1,15,"Smith, Jane PT",Sunshine Senior Plan,$20.00\n'
        'R2,03/02/2026,97110,GP,1,15,"Lee, Kim",Gulf Plan,$20.00\n'
        'R3,03/02/2026,97110,GP,1,15,"Smith, Jane PT",Medicare,$20.00\n')
    document = json.loads(run_cli("scrub", str(company / "miami" / "week.csv"), "--format", "json",
                                  "--as-of", AS_OF).stdout)
    found = {(f["row"], f["rule"]) for f in document["findings"]}
    # The company's plan name (row 2: Medicare Advantage, no DAT008); the clinic's own entry for a plan both name
    # (row 3: commercial, which does not need CQ: no MOD005 for the clinic's PTA); the clinic's locality (row 4:
    # priced at Miami's, the company's `national` judging no fee)
    assert found == {(2, "COV004"), (4, "COV004")}, found
    assert all("at 09102-04" in f["message"] for f in document["findings"])
    reading = document["reading"]
    assert reading["settings"] == (f"{company / 'ptcalc.yaml'}, {company / 'miami' / 'ptcalc.yaml'}: locality "
                                   "09102-04, 1 provider, 2 payer names")
    assert reading["locality"].endswith(f"({company / 'miami' / 'ptcalc.yaml'})")  # the file that set it


def test_the_command_line_wins_over_a_clinics_settings(tmp_path: Path) -> None:
    import json

    company = _clinics(tmp_path)
    sheet = company / "miami" / "2026" / "week.csv"
    said = run_cli("scrub", str(sheet), "--format", "json", "--as-of", AS_OF, "--locality", "Manhattan")
    document = json.loads(said.stdout)
    assert "at 13202-01" in _cov004(document)[0] and "(--locality)" in document["reading"]["locality"]
    mapped = tmp_path / "map.yaml"
    mapped.write_text("Ident: claim_id\n")  # the file's map names `Ident` otherwise: the command line's entry wins
    refused = run_cli("scrub", str(company / "manhattan" / "2026" / "week.csv"), "--columns", str(mapped),
                      "--format", "json", "--as-of", AS_OF)
    assert refused.returncode == 2 and "no header row names patient_id" in refused.stderr


@pytest.mark.parametrize(("settings", "said"), [
    ("localty: 05-18\n", "'localty' is not a setting (the settings: columns, locality, locations, payers, providers, "
                            "sheet, unit_method_conflict)"),
    ("unit_method_conflict: AMA\n", "unit_method_conflict: 'AMA' is not one of primary, cms"),
    ("locality: Atlantis\n", "locality: 'Atlantis' is not a Medicare locality"),
    ("columns:\n  Ident: patient\n", "columns: Ident: 'patient' is not a field"),
    ("payers:\n  Sunshine: medicare advantage\n", "payers: Sunshine: 'medicare advantage' is not one of medicare, "
                                                  "medicare_advantage"),
    ("providers: PT\n", "providers: give lines of `name: type` (types: PT, PTA, OT, OTA, SLP)"),
    ("locations:\n  Oakland: Atlantis\n", "locations: Oakland: locality: 'Atlantis' is not a Medicare locality"),
    ("locations:\n  Oakland:\n", "locations: Oakland: give the site's locality (MAC-LL or its name)"),
    ("- locality\n", "settings are lines of `setting: value`"),
    ("locality: [05-18\n", "the settings cannot be read"),
])
def test_a_clinics_bad_settings_stop_its_files_only_and_name_the_file(settings: str, said: str,
                                                                       tmp_path: Path) -> None:
    company = _clinics(tmp_path)
    (company / "miami" / "ptcalc.yaml").write_text(settings)
    result = run_cli("scrub", str(company), "--format", "json", "--as-of", AS_OF)
    assert result.returncode == 2
    assert result.stdout.splitlines()[-1] == "batch of 4 files: 3 scrubbed, 0 with error findings, 1 could not be " \
                                             "read (miami/2026/week.csv)"
    refused = [line for line in result.stderr.splitlines() if line.startswith("ptcalc scrub:")]
    assert len(refused) == 1 and f"miami/ptcalc.yaml: {said}" in refused[0], refused
    assert not (company / "miami" / "2026" / "week.scrubbed.json").exists()
    assert (company / "manhattan" / "2026" / "week.scrubbed.json").is_file()


def test_a_clinics_sheet_setting_chooses_the_sheet_and_ptcalc_columns_says_the_settings(tmp_path: Path) -> None:
    from openpyxl import Workbook

    clinic = tmp_path / "clinic"
    clinic.mkdir()
    book = Workbook()
    book.active.title = "Summary"
    for row in ([["patient_id", "dos", "cpt", "units", "minutes", "modifiers"], ["S1", "2026-03-02", "97110", 1, 15, ""]]):
        book.active.append(row)
    week = book.create_sheet("Week")
    for row in ([["patient_id", "dos", "cpt", "units", "minutes", "modifiers"], ["W1", "2026-03-02", "97110", 1, 15, "GP"]]):
        week.append(row)
    book.save(clinic / "export.xlsx")
    (clinic / "ptcalc.yaml").write_text("sheet: Week\n")
    result = run_cli("scrub", str(clinic / "export.xlsx"), "--format", "csv", "--as-of", AS_OF)
    assert result.returncode == 0 and "1 CLEAN" in result.stderr  # the first sheet's line has no GP: MOD001
    columns = run_cli("columns", str(clinic / "export.xlsx"))
    assert "export.xlsx, sheet 'Week'" in columns.stdout and "ptcalc.yaml: sheet 'Week'" in columns.stdout
    (clinic / "today.csv").write_text(CLEAN)  # a csv export of the same clinic: read as it is, no sheet to choose
    assert run_cli("scrub", str(clinic / "today.csv"), "--format", "csv", "--as-of", AS_OF).returncode == 0
    book.remove(week)
    book.save(clinic / "old.xlsx")
    refused = run_cli("scrub", str(clinic / "old.xlsx"), "--format", "csv", "--as-of", AS_OF)
    assert refused.returncode == 2 and refused.stderr.strip().endswith(
        f"no sheet named 'Week' (sheets: Summary) (sheet 'Week' as {clinic / 'ptcalc.yaml'} says)")


def test_a_clinics_folder_that_cannot_be_listed_is_said_not_passed_over(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                      capsys: pytest.CaptureFixture) -> None:
    """os.walk passes over a folder it cannot list unless asked: a clinic's folder without permission to read it
    would have left its exports out of the batch, unsaid, and the batch would have exited 0."""
    from ptcalc.cli import run

    company = _clinics(tmp_path)
    locked = company / "miami"
    listing = os.scandir

    def scandir(path: object = ".") -> object:
        if Path(str(path)) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return listing(path)

    monkeypatch.setattr(os, "scandir", scandir)
    assert run(["scrub", str(company), "--format", "json", "--as-of", AS_OF]) == 2
    said = capsys.readouterr()
    assert said.err.splitlines() == [f"ptcalc scrub: {locked}: the folder cannot be read (Permission denied); its "
                                     "files are not in the batch"]
    assert said.out.splitlines()[-1] == "batch of 3 files: 3 scrubbed, 0 with error findings; 1 folder could not be read"


STAFFED = ("Patient,DOS,CPT,Modifiers,Units,Minutes,Rendering Provider,Primary Insurance\n"
           'R1,03/02/2026,97110,GP,1,15,"Lee, Kim",Medicare Part B\n'
           'R2,03/02/2026,97110,GP,1,15,"Smith, Jane",Sunshine Senior Plan\n'
           "R3,03/02/2026,97110,GP,1,15,1234567893,Medicare Part B\n")


def test_a_clinics_staff_and_plans_are_known_where_its_exports_say_only_names(tmp_path: Path) -> None:
    """An export names the rendering provider without a credential and the plan by its local name: before, the
    only roster and plan names were the reference tables', one for every clinic, so an assistant's line without
    CQ passed as a PT's (only a DAT008 info) and a local Medicare Advantage plan was judged as Medicare."""
    import json

    clinic = tmp_path / "clinic"
    clinic.mkdir()
    (clinic / "week.csv").write_text(STAFFED)
    before = json.loads(run_cli("scrub", str(clinic / "week.csv"), "--format", "json", "--as-of", AS_OF).stdout)
    assert {(f["row"], f["rule"]) for f in before["findings"]} == {(2, "DAT008"), (3, "DAT008"), (4, "DAT008")}
    (clinic / "ptcalc.yaml").write_text("providers:\n  Kim Lee: PTA\n  Jane Smith: PT\n  1234567893: PTA\n"
                                        "payers:\n  Sunshine Senior Plan: medicare_advantage\n")
    result = run_cli("scrub", str(clinic / "week.csv"), "--format", "json", "--as-of", AS_OF)
    after = json.loads(result.stdout)
    assert {(f["row"], f["rule"]) for f in after["findings"]} == {(2, "MOD005"), (4, "MOD005")}  # the PTA's, by
    # name (written `Last, First` on the export, `First Last` in the settings) and by NPI; Jane Smith's is clean
    assert after["reading"]["settings"].endswith("ptcalc.yaml: 3 providers, 1 payer name")
    columns = run_cli("columns", str(clinic / "week.csv"))
    assert "default applied" not in columns.stdout and "3 providers, 1 payer name" in columns.stdout
    (clinic / "ptcalc.yaml").write_text("providers:\n  Kim Lee: aide\n")
    refused = run_cli("scrub", str(clinic / "week.csv"), "--format", "json", "--as-of", AS_OF)
    assert refused.returncode == 2 and refused.stderr.strip().endswith(
        "ptcalc.yaml: providers: Kim Lee: 'aide' is not one of PT, PTA, OT, OTA, SLP")



def test_a_clinics_own_financial_classes_are_named_in_its_settings(tmp_path: Path) -> None:
    """A class ptcalc does not know, beside no payer name it knows, is a DAT002 that says where to name it; the
    clinic's `payers:` names it (a financial class is read through the same names as a payer)."""
    import json

    clinic = tmp_path / "clinic"
    clinic.mkdir()
    (clinic / "week.csv").write_text("Patient,DOS,CPT,Mods,Units,Minutes,Financial Class\n"
                                     "G1,03/02/2026,97110,GP,1,15,Grant\n"
                                     "G2,03/02/2026,97110,GP,1,15,Other\n")
    before = json.loads(run_cli("scrub", str(clinic / "week.csv"), "--format", "json", "--as-of", AS_OF).stdout)
    assert [(f["row"], f["rule"]) for f in before["findings"]] == [(2, "DAT002"), (3, "DAT002")]
    assert before["findings"][0]["message"].endswith("in the clinic's ptcalc.yaml under payers)")
    (clinic / "ptcalc.yaml").write_text("payers:\n  Grant: self_pay\n  Other: commercial\n")
    after = json.loads(run_cli("scrub", str(clinic / "week.csv"), "--format", "json", "--as-of", AS_OF).stdout)
    assert after["findings"] == [] and after["summary"]["lines_by_status"]["CLEAN"] == 2


def test_a_claim_whose_payers_count_units_differently_is_judged_by_the_rule_the_clinic_chose(tmp_path: Path) -> None:
    """An AMA-rule plan primary with Medicare second: 10 + 10 minutes are 2 units to the plan, 1 to Medicare. The
    primary's rule judges (UNT008 says the difference) unless the clinic's settings choose the 8-minute rule; a
    Medigap second payer, or no second payer, changes nothing."""
    import json

    clinic = tmp_path / "clinic"
    clinic.mkdir()
    (clinic / "week.csv").write_text("Acct,DOS,CPT,Mod,Units,Minutes,Primary Ins,Sec Ins,Secondary Ins ID\n"
                                     "D1,03/02/2026,97110,GP,1,10,Aetna PPO,Medicare,1EG4TE5MK72\n"
                                     "D1,03/02/2026,97140,GP,1,10,Aetna PPO,Medicare,1EG4TE5MK72\n"
                                     "D2,03/02/2026,97110,GP,1,10,Aetna PPO,,\n"
                                     "D2,03/02/2026,97140,GP,1,10,Aetna PPO,,\n"
                                     "D3,03/02/2026,97110,GP,1,10,Medicare,AARP Medigap,X123\n"
                                     "D4,03/02/2026,97110,GP,1,10,Aetna PPO,#N/A,\n")  # an error cell: says nothing

    def scrub() -> dict:
        return json.loads(run_cli("scrub", str(clinic / "week.csv"), "--format", "json", "--as-of", AS_OF).stdout)

    primary = scrub()
    assert [(f["row"], f["rule"]) for f in primary["findings"]] == [(2, "UNT008")]
    assert primary["findings"][0]["message"].endswith("judged by the AMA rule (unit_method_conflict: primary)")
    assert primary["reading"]["fields"]["secondary_payer"] == "Sec Ins (H)"
    assert primary["reading"]["columns_not_used"] == ["Secondary Ins ID (I)"]
    (clinic / "ptcalc.yaml").write_text("unit_method_conflict: cms\n")
    cms = scrub()
    assert [(f["row"], f["rule"]) for f in cms["findings"]] == [(2, "UNT008"), (3, "UNT001")]
    assert cms["findings"][1]["message"].endswith("the visit's 20 timed minutes support 1 unit under the CMS rule, 0 "
                                                  "of them for 97140")
    assert cms["reading"]["settings"].endswith("ptcalc.yaml: unit_method_conflict cms")


def test_a_practice_of_several_sites_prices_each_line_at_its_sites_locality(tmp_path: Path) -> None:
    """A group with sites in two localities writes the site on each line (`Location`), not a MAC-LL: before, the
    column could only be left unused (every line at one locality) or read as the locality (every line a DAT002)."""
    import json

    clinic = tmp_path / "bay_and_la"
    clinic.mkdir()
    (clinic / "week.csv").write_text("Patient,DOS,CPT,Modifiers,Units,Minutes,Location,Charge\n"
                                     "S1,03/02/2026,97110,GP,1,15,Downtown LA,$20.00\n"
                                     "S2,03/02/2026,97110,GP,1,15,oakland,$20.00\n"
                                     "S3,03/02/2026,97110,GP,1,15,Westside,$20.00\n"
                                     "S4,03/02/2026,97110,GP,1,15,,$20.00\n")
    (clinic / "ptcalc.yaml").write_text("locality: 01182-18\ncolumns:\n  Location: locality\n"
                                        "locations:\n  Downtown LA: 01182-18\n  Oakland: 01112-05\n")
    document = json.loads(run_cli("scrub", str(clinic / "week.csv"), "--format", "json", "--as-of", AS_OF).stdout)
    found = {f["row"]: (f["rule"], f["message"]) for f in document["findings"]}
    assert found[2][0] == "COV004" and "at 01182-18" in found[2][1]
    assert found[3][0] == "COV004" and "at 01112-05" in found[3][1]  # the site's name in any case
    assert found[4][0] == "DAT002" and "names its locations but not this one" in found[4][1]  # a site it does not name
    assert found[5][0] == "COV004" and "at 01182-18" in found[5][1]  # no site: the clinic's locality
    assert len(document["findings"]) == 4 and document["reading"]["settings"].endswith("01182-18, 1 column name, 2 locations")


def test_a_clinic_folder_linked_in_is_scrubbed_and_a_link_back_up_is_walked_once(tmp_path: Path) -> None:
    """os.walk did not look in linked folders (a billing company's share of a clinic's exports, linked into its
    folder of clinics): their files were left out unsaid. Followed now, each real folder once."""
    company, share = tmp_path / "company", tmp_path / "share"
    company.mkdir()
    share.mkdir()
    (company / "north.csv").write_text(CLEAN)
    (share / "south.csv").write_text(CLEAN)
    (company / "south").symlink_to(share, target_is_directory=True)
    (share / "back").symlink_to(company, target_is_directory=True)  # a loop: company/south/back/south/...
    result = run_cli("scrub", str(company), "--format", "json", "--as-of", AS_OF)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "batch of 2 files: 2 scrubbed, 0 with error findings"
    assert (share / "south.scrubbed.json").is_file()


def test_the_batch_writes_its_summary_a_row_per_file_beside_the_outputs(tmp_path: Path) -> None:
    """A billing company's morning: which clinics' exports have errors, what is at risk, which could not be read
    and why — one sheet, not a terminal's scrollback (before: each file's line on stdout only)."""
    import csv

    company = _clinics(tmp_path)
    (company / "miami" / "ptcalc.yaml").write_text("locality: Atlantis\n")
    shutil.copy(SAMPLE, company / "=HYPERLINK(1).csv")  # a name a spreadsheet would run
    result = run_cli("scrub", str(company), "--format", "json", "--as-of", AS_OF)
    assert result.returncode == 2
    rollup = company / "batch-summary.scrubbed.csv"
    assert result.stdout.splitlines()[-2] == f"the batch's summary, a row per file -> {rollup}"
    rows = list(csv.DictReader(rollup.open(newline="", encoding="utf-8")))
    by_file = {row["file"]: row for row in rows}
    assert list(by_file) == ["'=HYPERLINK(1).csv", "manhattan/2026/week.csv", "miami/2026/week.csv",
                             "national/week.csv", "national/2026/week.csv"]
    manhattan = by_file["manhattan/2026/week.csv"]
    assert (manhattan["outcome"], manhattan["lines"], manhattan["INFO"], manhattan["CLEAN"], manhattan["exit_code"],
            manhattan["dollars_left_on_table"], manhattan["output"]) == (
        "scrubbed", "1", "1", "0", "0", "12.43", "manhattan/2026/week.scrubbed.json")
    miami = by_file["miami/2026/week.csv"]
    assert miami["outcome"] == "could not be read" and miami["exit_code"] == "2" and miami["lines"] == ""
    assert "ptcalc.yaml: locality: 'Atlantis' is not a Medicare locality" in miami["problem"]
    sample = by_file["'=HYPERLINK(1).csv"]
    alone = json.loads(run_cli("scrub", str(SAMPLE), "--format", "json", "--as-of", AS_OF).stdout)["summary"]
    assert int(sample["ERROR"]) == alone["lines_by_status"]["ERROR"] > 0 and sample["exit_code"] == "1"
    assert float(sample["dollars_at_risk"]) == alone["dollars_at_risk"]
    again = run_cli("scrub", str(company), "--format", "json", "--as-of", AS_OF)  # the summary is no input
    assert again.stdout.splitlines()[-1].startswith("batch of 5 files:")

"""Reference data: generated from CMS files, validated with file:line messages, cached, relocatable."""
from __future__ import annotations

import os
from datetime import date
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ptcalc import ReferenceDataError, load_reference, visit_fee
from ptcalc.importers import import_gpci, import_mue, import_pfs
from ptcalc.refdata import ENV_VAR, clear_cache

from .conftest import ROOT

CMS = ROOT / "data" / "cms"  # CMS's own files, carried by the project (provenance: data/cms/PROVENANCE.md)
CMS_IMPORTS = {
    "pfs": [["PPRRVU2025_Oct.pt-rows.csv"], ["PPRRVU2026_Jul_nonQPP.csv"]],
    "gpci": [["GPCI2025.csv"], ["GPCI2026.csv"]],
    "mue": [["MCR_MUE_PractitionerServices_Eff_04-01-2026.pt-rows.csv",
             "MCR_MUE_PractitionerServices_Eff_04-01-2026.pt-extra-rows.csv"]],
    "ptp": [["ncci_ptp_practitioner_2024-07.pt-any.csv"]],
}
GENERATED = ["fee_schedule_2025.yaml", "fee_schedule_2026.yaml", "gpci_2025.yaml", "gpci_2026.yaml",
             "mue.yaml", "ptp.yaml", "conversion_factors.yaml"]


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ptcalc", *args], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, **(env or {})}, timeout=120)


def test_shipped_tables_are_what_the_importers_make_of_the_cms_files(ref_copy: Path) -> None:
    cms = CMS
    for name in GENERATED:
        (ref_copy / name).unlink()
    (ref_copy / "conversion_factors.yaml").write_text((ROOT / "reference" / "conversion_factors.yaml").read_text())
    for kind, calls in CMS_IMPORTS.items():
        for files in calls:
            result = run_cli("import", kind, *[str(cms / f) for f in files], "--reference", str(ref_copy))
            assert result.returncode == 0, result.stderr
    for name in GENERATED:
        assert (ref_copy / name).read_text() == (ROOT / "reference" / name).read_text(), f"{name} differs"


def test_reference_data_loads_with_every_table(ref) -> None:
    assert set(ref.fee_schedules) == {2025, 2026} and set(ref.gpcis) == {2025, 2026}
    assert ref.fee_schedules[2026].rows["97110"].work == 0.45
    assert ref.gpcis[2026].rows["10112-00"].work == 1.0  # the 1.0 floor column (unfloored 0.988)
    assert ref.mue.rows["97110"].units == 6 and ref.mue.rows["97161"].mai == 2
    assert {p.profile for p in ref.payers} >= {"medicare", "commercial", "self_pay"}
    assert all(isinstance(code, str) for code in ref.codes)
    # status M of the 2026 file (quality data codes): 1,292 of them, none a therapy code; 3288F is status I
    assert len(ref.quality_codes) > 1000 and {"G8539", "0518F", "G8942"} <= ref.quality_codes
    assert not ref.quality_codes & set(ref.codes) and "3288F" not in ref.quality_codes


def test_every_table_row_has_a_source_and_an_effective_range(ref) -> None:
    for schedule in ref.fee_schedules.values():
        assert schedule.source and schedule.effective_from and schedule.effective_to
    for factor in ref.conversion_factors:
        assert factor.source and factor.effective_from <= factor.effective_to
    for pair in ref.ptp.pairs:  # the CSV extract has no effective dates: in force from the table's start
        assert pair.source and pair.confidence in ("high", "medium", "low") and pair.effective_from is None
    for constant in ref.constants.values():
        assert constant.source and constant.effective_from


def test_a_changed_cms_file_imported_into_a_copy_changes_the_engine(ref_copy: Path,
                                                                    tmp_path: Path) -> None:
    original = (CMS / "PPRRVU2026_Jul_nonQPP.pt-rows.csv").read_bytes()
    changed = original.replace(b"97110,,Therapeutic exercises,A,,0.45,", b"97110,,Therapeutic exercises,A,,0.50,")
    assert changed != original
    cms_file = tmp_path / "PPRRVU2026_Jul_nonQPP.csv"
    cms_file.write_bytes(changed)
    import_pfs([cms_file], ref_copy)
    clear_cache()
    assert float(visit_fee(["97110"], [1], "national", 2026, reference=load_reference(ref_copy)).total) == 30.73
    assert float(visit_fee(["97110"], [1], "national", 2026).total) == 29.06  # shipped data untouched


def test_a_new_gpci_and_mue_file_change_the_engine(ref_copy: Path, tmp_path: Path) -> None:
    gpci = (CMS / "GPCI2026.csv").read_text().replace("13202,NY,01,MANHATTAN,1.064,1.064,1.162",
                                                                 "13202,NY,01,MANHATTAN,1.064,1.064,1.262")
    (tmp_path / "GPCI2026.csv").write_text(gpci)
    import_gpci(tmp_path / "GPCI2026.csv", ref_copy)
    mue = (CMS / "MCR_MUE_PractitionerServices_Eff_04-01-2026.pt-rows.csv").read_bytes()
    (tmp_path / "MCR_MUE_PractitionerServices_Eff_07-01-2026.csv").write_bytes(
        mue.replace(b"97110,6,3", b"97110,4,3"))
    import_mue([tmp_path / "MCR_MUE_PractitionerServices_Eff_07-01-2026.csv"], ref_copy)
    ref = load_reference(ref_copy)
    assert float(visit_fee(["97110"], [1], "13202-01", 2026, reference=ref).total) == 33.80
    assert ref.mue.rows["97110"].units == 4 and ref.mue.release == "2026 Q3 (effective 2026-07-01)"


@pytest.mark.parametrize(("edit", "expected"), [
    (("  - {code: \"97110\", label:", "  - {code: 97110, label:"),
     "codes.yaml:{line}: rows[45].code: 97110 must be quoted text (quote it: codes are text)"),
    (("timing: timed, discipline: therapy, family: procedure}", "timing: timd, discipline: therapy, family: procedure}"),
     "codes.yaml:{line}: rows[45].timing: 'timd' is not one of timed, untimed, other"),
    (("family: procedure}", "family: procedure, colour: blue}"),
     "codes.yaml:{line}: rows[45].colour: unknown field"),
])
def test_a_bad_value_stops_with_file_line_and_field(ref_copy: Path, edit, expected) -> None:
    path = ref_copy / "codes.yaml"
    lines = path.read_text().splitlines(keepends=True)
    line = next(i for i, text in enumerate(lines, start=1) if '"97110"' in text)
    lines[line - 1] = lines[line - 1].replace(*edit)
    path.write_text("".join(lines))
    with pytest.raises(ReferenceDataError) as caught:
        load_reference(ref_copy)
    assert str(caught.value).splitlines()[0] == f"{path}:{line}: " + expected.split(":", 2)[2].lstrip()
    assert f"codes.yaml:{line}:" in str(caught.value)


def test_broken_yaml_stops_with_file_and_line_and_the_cli_exits_2_without_traceback(ref_copy: Path) -> None:
    path = ref_copy / "thresholds.yaml"
    text = path.read_text().replace("  - {year: 2019, pt_slp: 2040,", "  - {year: 2019, pt_slp: [2040,")
    path.write_text(text)
    with pytest.raises(ReferenceDataError, match=r"thresholds\.yaml:\d+: yaml: "):
        load_reference(ref_copy)
    result = run_cli("info", "--reference", str(ref_copy))
    assert result.returncode == 2
    assert "thresholds.yaml:" in result.stderr and "Traceback" not in result.stderr


def test_a_missing_table_is_named(ref_copy: Path) -> None:
    (ref_copy / "mue.yaml").unlink()
    with pytest.raises(ReferenceDataError, match="no `table: mue` file found"):
        load_reference(ref_copy)


def test_tables_are_cached_and_reloaded_when_a_file_changes(ref_copy: Path, monkeypatch) -> None:
    first = load_reference(ref_copy)
    assert load_reference(ref_copy) is first
    monkeypatch.setattr("ptcalc.refdata.RECHECK_SECONDS", 0.0)
    assert load_reference(ref_copy) is first  # nothing changed on disk
    path = ref_copy / "thresholds.yaml"
    path.write_text(path.read_text().replace("warning_margin: 250", "warning_margin: 300"))
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 1_000_000))
    reloaded = load_reference(ref_copy)
    assert reloaded is not first and reloaded.warning_margin == 300


def test_the_environment_variable_selects_a_user_copy(ref_copy: Path) -> None:
    path = ref_copy / "thresholds.yaml"
    path.write_text(path.read_text().replace("warning_margin: 250", "warning_margin: 400"))
    result = subprocess.run([sys.executable, "-c", "import udfs; print(udfs.PT_KX_CHECK(2100, 0, 2026))"],
                            capture_output=True, text=True, cwd=ROOT, env={**os.environ, ENV_VAR: str(ref_copy)})
    assert result.stdout.startswith("APPROACHING"), result.stderr


def test_a_changed_environment_variable_is_followed_once_the_recheck_interval_has_passed(
        ref_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A worksheet function asks for the default reference data on every call: the environment and the working
    folder are looked at once per RECHECK_SECONDS, as the files are, not on every call."""
    clock = [1000.0]
    monkeypatch.setattr("ptcalc.refdata.time.monotonic", lambda: clock[0])
    monkeypatch.delenv(ENV_VAR, raising=False)
    shipped = load_reference()
    path = ref_copy / "thresholds.yaml"
    path.write_text(path.read_text().replace("warning_margin: 250", "warning_margin: 400"))
    monkeypatch.setenv(ENV_VAR, str(ref_copy))
    clock[0] += 0.5
    assert load_reference() is shipped  # within the interval: the directory found last
    clock[0] += 1.0
    assert load_reference().warning_margin == 400 and shipped.warning_margin == 250
    monkeypatch.delenv(ENV_VAR)
    clock[0] += 1.0
    assert load_reference() is shipped


def test_info_names_the_data_in_force_and_the_fallbacks() -> None:
    result = run_cli("info", "--as-of", "2027-03-01")
    assert result.returncode == 0, result.stderr
    assert "2026 July release (RVU26C)" in result.stdout
    assert "2026 Q2 (effective 2026-04-01)" in result.stdout
    assert "2027 GPCIs not in the reference data; 2026 used" in result.stdout


def test_import_refuses_a_file_that_is_not_the_right_kind(ref_copy: Path) -> None:
    result = run_cli("import", "pfs", str(CMS / "GPCI2025.csv"), "--reference", str(ref_copy))
    assert result.returncode == 2
    assert "not a PPRRVU file" in result.stderr and "Traceback" not in result.stderr


def test_ptp_import_reads_cms_own_layout(ref_copy: Path, tmp_path: Path) -> None:
    # Synthetic rows in the layout of CMS's ccipra-*-f1..f4 TXT files (CMS's own bytes were too large to carry).
    lines = [
        "CPT codes and descriptions only are copyright 2025 American Medical Association.",
        "Column1/Column2 Edits",
        "Column 1\tColumn 2\t*=in existence prior to 1996\tEffective Date\tDeletion Date *=no data\t"
        "Modifier 0=not allowed 1=allowed 9=not applicable\tPTP Edit Rationale",
        "97150\t97110\t\t20200101\t*\t1\tMutually exclusive procedures",
        "97164\t97150\t\t20200101\t20200930\t0\tStandards of medical / surgical practice",
        "99213\t97110\t\t20200101\t*\t0\tnot a pair of the code set",
    ]
    path = tmp_path / "ccipra-v321r0-f1.TXT"
    path.write_text("\r\n".join(lines) + "\r\n")
    result = run_cli("import", "ptp", str(path), "--reference", str(ref_copy))
    assert result.returncode == 0, result.stderr
    ptp = load_reference(ref_copy).ptp
    assert ptp.release == "NCCI PTP v32.1 r0"
    assert [(p.column1, p.column2, p.modifier_indicator, p.rationale) for p in ptp.pairs] == [
        ("97150", "97110", 1, "Mutually exclusive procedures"),
        ("97164", "97150", 0, "Standards of medical / surgical practice")]
    deleted = ptp.pairs[1]
    assert deleted.effective_from == date(2020, 1, 1)
    assert deleted.in_force(date(2020, 9, 30)) and not deleted.in_force(date(2020, 10, 1))
    assert not deleted.in_force(date(2019, 12, 31))


def test_ptp_import_of_the_cms_extract_keeps_deleted_edits_with_their_dates(ref) -> None:
    pairs = {(p.column1, p.column2, p.deleted): p for p in ref.ptp.pairs}
    # CMS deleted 97140/97530 after 2019-12-31: in force in 2019, not since.
    deleted = pairs[("97140", "97530", date(2019, 12, 31))]
    assert deleted.in_force(date(2019, 6, 3)) and not deleted.in_force(date(2020, 1, 2))
    assert not any(p.in_force(date(2026, 3, 2)) for p in ref.ptp.pairs if (p.column1, p.column2) == ("97140", "97530"))
    # The 2020 evaluation + 97140 edits were deleted retroactively (indicator 9): never in force.
    assert all(not p.in_force(date(2020, 1, 1)) for p in ref.ptp.pairs if (p.column1, p.column2) == ("97162", "97140"))
    # Group therapy with one-on-one codes: in force, modifier allowed.
    assert pairs[("97150", "97110", None)].modifier_indicator == 1
    assert pairs[("97162", "97750", None)].modifier_indicator == 0
    assert ref.ptp.in_force_on == date(2024, 7, 1) and "July 2024" in ref.ptp.release
    codes = set(ref.codes)
    assert all(p.column1 in codes and p.column2 in codes for p in ref.ptp.pairs)


def test_ptp_vintage_is_named_for_later_dates_of_service() -> None:
    result = run_cli("info", "--as-of", "2026-03-02")
    assert result.returncode == 0, result.stderr
    assert "NCCI practitioner PTP edits, July 2024" in result.stdout
    assert "NCCI PTP edits of July 2024 used for 2026-03-02" in result.stdout
    assert ("fee schedule 2026: 2026 July release (RVU26C) (106 codes, 1,292 quality data codes, 15,696 other "
            "professions' codes;") in result.stdout


@pytest.mark.parametrize("where", ["checkout", "elsewhere"])
def test_ptcalc_and_python_m_ptcalc_read_the_same_reference_data(where: str, tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("ptcalc")
    assert script.is_file(), "the ptcalc console script is installed beside this Python"
    cwd = ROOT if where == "checkout" else tmp_path
    env = {k: v for k, v in os.environ.items() if k != ENV_VAR}
    said = [subprocess.run(command + ["info"], capture_output=True, text=True, cwd=cwd, env=env, timeout=120)
            for command in ([str(script)], [sys.executable, "-m", "ptcalc"])]
    lines = [next(line for line in r.stdout.splitlines() if line.startswith("Reference data")) for r in said]
    assert lines[0] == lines[1]
    if where == "checkout":  # edits to ./reference are what a checkout's commands use
        assert lines[0].split()[-1] == str(ROOT / "reference")

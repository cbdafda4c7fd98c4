"""A wheel built from the repository carries the reference data and the sample sheet, and
`ptcalc demo` works from it outside the source tree."""
from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

from .conftest import ROOT


def test_the_wheel_carries_its_data_and_the_demo_runs_from_it(tmp_path: Path) -> None:
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w",
                            str(tmp_path / "dist")], capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr[-2000:]
    wheel = next((tmp_path / "dist").glob("ptcalc-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in ("ptcalc/_reference/codes.yaml", "ptcalc/_reference/fee_schedule_2026.yaml",
                     "ptcalc/_reference/gpci_2026.yaml", "ptcalc/samples/clinic_week.csv", "udfs/pt_udfs.py",
                     "udfs/macros.py"):
        assert expected in names, expected
    site = tmp_path / "site"
    installed = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site),
                                str(wheel)], capture_output=True, text=True, timeout=600)
    assert installed.returncode == 0, installed.stderr[-2000:]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PTCALC_REFERENCE"}
    env["PYTHONPATH"] = str(site)
    info = subprocess.run([sys.executable, "-m", "ptcalc", "info"], cwd=elsewhere, env=env, capture_output=True,
                          text=True, timeout=120)
    assert info.returncode == 0, info.stderr
    assert str(site / "ptcalc" / "_reference") in info.stdout
    demo = subprocess.run([sys.executable, "-m", "ptcalc", "demo"], cwd=elsewhere, env=env, capture_output=True,
                          text=True, timeout=300)
    assert demo.returncode == 0, demo.stderr
    assert (elsewhere / "clinic_week.scrubbed.xlsx").is_file() and "at risk" in demo.stdout


def test_the_oldest_python_ptcalc_admits_is_one_every_dependency_installs_on() -> None:
    """`requires-python` said >=3.10 while pyx12 4 needs 3.11: on Python 3.10 the install failed with pip's
    "No matching distribution found for pyx12>=4.0" instead of "requires a different Python"."""
    from importlib.metadata import distribution, requires

    from packaging.requirements import Requirement
    from packaging.specifiers import SpecifierSet

    ours = SpecifierSet(distribution("ptcalc").metadata["Requires-Python"])
    oldest = min(f"3.{minor}" for minor in range(8, 20) if f"3.{minor}" in ours)
    needed = {}
    for line in requires("ptcalc") or []:
        requirement = Requirement(line)
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue  # an extra's (test), or another platform's (xlwings Lite)
        theirs = distribution(requirement.name).metadata["Requires-Python"]
        if theirs and oldest not in SpecifierSet(theirs):
            needed[requirement.name] = theirs
    assert needed == {}, f"ptcalc admits Python {oldest}, which these need newer: {needed}"

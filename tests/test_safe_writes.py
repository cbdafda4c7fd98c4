"""Outputs are written to a temporary file and renamed; failures leave earlier outputs intact."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from ptcalc import cli
from ptcalc.errors import UsageError
from ptcalc.safe_write import atomic_save

from .test_scrub import BASIC


def test_a_failed_write_leaves_the_earlier_output_and_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("earlier report")

    def broken_save(temp: str) -> None:
        Path(temp).write_text("half a rep")
        raise OSError(28, "No space left on device")

    with pytest.raises(UsageError, match="cannot be written"):
        atomic_save(target, broken_save)
    assert target.read_text() == "earlier report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_a_locked_output_gives_one_clear_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture) -> None:
    sheet = shutil.copy(BASIC, tmp_path / "basic.csv")

    def locked(source: str, target: str) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", locked)
    assert cli.run(["scrub", str(sheet), "--as-of", "2026-11-22"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith("cannot be replaced; is it open in Excel or read-only? Close it or choose another output")
    assert len(err.splitlines()) == 1
    assert not list(tmp_path.glob("*.tmp")) and not list(tmp_path.glob(".*.tmp"))


def test_an_output_folder_that_does_not_exist(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "missing" / "report.xlsx"
    assert cli.run(["scrub", str(BASIC), "-o", str(out), "--as-of", "2026-11-22"]) == 2
    assert f"the folder {out.parent} does not exist" in capsys.readouterr().err


def test_new_outputs_get_ordinary_permissions(tmp_path: Path) -> None:
    out = tmp_path / "report.csv"
    assert cli.run(["scrub", str(BASIC), "-o", str(out), "--as-of", "2026-11-22"]) == 1
    assert out.stat().st_mode & 0o044 == 0o044 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask

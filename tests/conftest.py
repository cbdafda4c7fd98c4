"""Shared fixtures: the shipped reference data, an editable copy of it, the shared folder."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import ptcalc
from ptcalc.refdata import clear_cache

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("PTCALC_SHARED", ROOT.parent / "shared"))


@pytest.fixture(scope="session")
def ref() -> ptcalc.Reference:
    return ptcalc.load_reference(ROOT / "reference")


@pytest.fixture
def ref_copy(tmp_path: Path) -> Path:
    """A writable copy of reference/ (each test gets its own)."""
    target = tmp_path / "reference"
    shutil.copytree(ROOT / "reference", target)
    clear_cache()
    return target


@pytest.fixture(scope="session")
def shared() -> Path:
    """The workplace's shared folder (CMS files, acceptance cases): ../shared from the project."""
    assert (SHARED / "cms").is_dir(), f"the shared folder is expected at {SHARED} (set PTCALC_SHARED)"
    return SHARED

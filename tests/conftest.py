"""Shared fixtures: the shipped reference data, an editable copy of it, the CMS files, the shared folder."""
from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

import ptcalc
from ptcalc.refdata import clear_cache

ROOT = Path(__file__).resolve().parents[1]
# The reference tables' parse cache of this test run (and of the commands it starts), not the user's;
# removed when the run ends, so runs do not pile caches up in the temporary folder
if "PTCALC_CACHE" not in os.environ:
    _RUN_CACHE = tempfile.mkdtemp(prefix="ptcalc-test-cache-")
    os.environ["PTCALC_CACHE"] = _RUN_CACHE
    _RUN_PID = os.getpid()
    # only the process that made it removes it, not a process forked from it ending first
    atexit.register(lambda: os.getpid() == _RUN_PID and shutil.rmtree(_RUN_CACHE, ignore_errors=True))
SHARED = Path(os.environ.get("PTCALC_SHARED", ROOT.parent / "shared"))
# The workplace's shared acceptance cases live beside the project, not in it: a bare clone skips
# them (saying why); CI always has them, so there a missing folder fails instead of skipping.
SHARED_MISSING = None if (SHARED / "acceptance").is_dir() or os.environ.get("CI") else (
    f"the shared acceptance cases are not at {SHARED} (a bare clone; set PTCALC_SHARED to run them)")
requires_shared = pytest.mark.skipif(SHARED_MISSING is not None, reason=SHARED_MISSING or "")


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
def cms() -> Path:
    """CMS's own files that the importers are tested on, carried by the project (data/cms/PROVENANCE.md)."""
    return ROOT / "data" / "cms"

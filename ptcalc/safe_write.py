"""Writing output files safely: to a temporary file beside the target, then renamed over it.

A reader never sees half a file, and a failure leaves any earlier output as it was.
"""
from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from .errors import UsageError


def _mode_for(target: Path) -> int:
    """Keep an existing file's permissions; a new file gets the usual ones (0o666 less the umask)."""
    if target.exists():
        return target.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_save(target: Path, save: Callable[[str], object], inputs: tuple[Path, ...] = ()) -> None:
    """Call `save(temp_path)`, then rename the temp file to `target`.

    Refuses to replace any of `inputs`; an unwritable folder or a file locked by another
    program (Excel keeps open workbooks locked on Windows) becomes one clear UsageError.
    """
    target = Path(target)
    for source in inputs:
        if target.exists() and source.exists() and target.resolve() == Path(source).resolve():
            raise UsageError(f"{target}: refusing to write over the input file; choose another output")
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"{target}: the folder {folder} does not exist")
    try:
        handle, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise UsageError(f"{target}: cannot write in {folder} ({exc.strerror})") from None
    os.close(handle)
    try:
        save(temp)
        os.chmod(temp, _mode_for(target))
        os.replace(temp, target)
    except PermissionError:
        raise UsageError(f"{target}: cannot be replaced; is it open in Excel or read-only? "
                         "Close it or choose another output") from None
    except OSError as exc:
        raise UsageError(f"{target}: cannot be written ({exc.strerror})") from None
    finally:
        if os.path.exists(temp):
            os.unlink(temp)

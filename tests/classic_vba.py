"""Run xlwings' own classic "Import Functions" code over udfs.pt_udfs on any OS; print the VBA.

Classic xlwings (Windows) decorates UDFs with `xlwings.udfs.xlfunc/xlarg` and writes one VBA
`Function` per UDF with `generate_vba_wrapper`; Excel then compiles that module. Here the
Windows-only modules it imports (pythoncom, pywintypes, win32com) are stubbed, the real
decorators are put where `from xlwings import func, arg` finds them, and the real generator
writes the VBA. Its wizard texts (`Application.MacroOptions`) are printed as JSON after it.
Run as a script (a fresh process): `python tests/classic_vba.py`.
"""
from __future__ import annotations

import importlib.util
import io
import json
import sys
import types
from pathlib import Path


def _stub_windows_modules() -> None:
    for name in ("pythoncom", "pywintypes", "win32com", "win32com.client"):
        module = types.ModuleType(name)
        module.CoInitialize = lambda: None
        module.Dispatch = lambda *a, **k: None
        module.com_error = type("com_error", (Exception,), {})
        sys.modules[name] = module
    sys.modules["win32com"].client = sys.modules["win32com.client"]


def classic_udfs_module():  # noqa: ANN201 - xlwings.udfs
    _stub_windows_modules()
    import xlwings

    spec = importlib.util.spec_from_file_location("xlwings.udfs", Path(xlwings.__file__).parent / "udfs.py")
    udfs = importlib.util.module_from_spec(spec)
    sys.modules["xlwings.udfs"] = udfs
    spec.loader.exec_module(udfs)
    xlwings.func, xlwings.arg, xlwings.ret = udfs.xlfunc, udfs.xlarg, udfs.xlret  # as on Windows
    return udfs


def main() -> None:
    udfs = classic_udfs_module()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import udfs.pt_udfs as module

    book = types.SimpleNamespace(Name="ptcalc.xlsm")
    out = io.StringIO()
    udfs.generate_vba_wrapper("udfs.pt_udfs", module, out, book)
    wizard = {}
    for name in dir(module):
        xlfunc = getattr(getattr(module, name), "__xlfunc__", None)
        if xlfunc:
            wizard[xlfunc["name"]] = {"description": xlfunc["ret"]["doc"], "category": xlfunc["category"],
                                      "arguments": [a["doc"] for a in xlfunc["args"] if not a["vba"]],
                                      "options": {a["name"]: {k: str(v) for k, v in a["options"].items()}
                                                  for a in xlfunc["args"]}}
    print(out.getvalue())
    print("=== wizard ===")
    print(json.dumps(wizard))


if __name__ == "__main__":
    main()

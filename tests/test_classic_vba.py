"""The VBA that classic xlwings' "Import Functions" writes for udfs.pt_udfs compiles by construction.

xlwings' own generator runs over the module (tests/classic_vba.py, Windows modules stubbed);
the VBA is checked for what would stop Excel compiling it or importing the wizard texts.
"""
from __future__ import annotations

import inspect
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from udfs import UDFS

SCRIPT = Path(__file__).with_name("classic_vba.py")
# VBA keywords and reserved words (MS-VBAL 3.3.5.2 and the statements the language reserves): none may name a
# parameter. `date` is the one that broke the first version (as `currency` broke xlwings issue #563).
VBA_RESERVED = {w.lower() for w in """
    Abs Access AddressOf Alias And Any Append As Attribute Base Binary Boolean ByRef Byte ByVal Call Case CBool
    CByte CCur CDate CDbl CDec CDecl CInt Circle CLng CLngLng CLngPtr Close Compare Const CSng CStr Currency CVar
    CVErr Database Date Debug Decimal Declare DefBool DefByte DefCur DefDate DefDbl DefDec DefInt DefLng
    DefLngLng DefLngPtr DefObj DefSng DefStr DefVar Dim Do DoEvents Double Each Else ElseIf Empty End EndIf Enum
    Eqv Erase Error Event Exit Explicit False Fix For Friend Function Get Global GoSub GoTo If Imp Implements In
    Input InputB Int Integer Is LBound Len LenB Let Lib Like Line LINEINPUT Lock Long LongLong LongPtr Loop LSet
    Me Mid MidB Mod Module Name New Next Not Nothing Null Object On Open Option Optional Or Output ParamArray
    Preserve Print Private Property PSet Public Put RaiseEvent Random Randomize Read ReDim Rem Reset Resume
    Return RSet Scale Seek Select Set Sgn Shared Single Spc Static Step Stop StrComp String Sub Tab Text Then To
    True Type TypeOf UBound Unlock Until Variant Wend While Width With WithEvents Write Xor
""".split()}
SIGNATURE = re.compile(r"^Function (\w+)\((.*)\)$", re.M)
IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,254}$")


def problems_in(vba: str) -> list[str]:
    """What would stop a generated module from compiling: bad or reserved parameter names."""
    found = []
    for name, params in SIGNATURE.findall(vba):
        for param in filter(None, (p.strip() for p in params.split(","))):
            word = param.removeprefix("Optional ").removeprefix("ParamArray ").removesuffix("()")
            if not IDENTIFIER.match(word):
                found.append(f"{name}: {word!r} is not a VBA identifier")
            elif word.lower() in VBA_RESERVED:
                found.append(f"{name}: {word!r} is a reserved word in VBA")
    return found


@pytest.fixture(scope="module")
def generated() -> tuple[str, dict]:
    result = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    vba, wizard = result.stdout.split("=== wizard ===")
    return vba, json.loads(wizard)


def test_every_function_is_generated_with_its_arguments_and_optionals(generated) -> None:
    vba, _ = generated
    signatures = dict(SIGNATURE.findall(vba))
    assert set(signatures) == set(UDFS)
    for name, function in UDFS.items():
        expected = [("Optional " if p.default is not inspect.Parameter.empty else "") + p.name
                    for p in inspect.signature(function).parameters.values()]
        assert [p.strip() for p in signatures[name].split(",")] == expected, name


def test_no_parameter_is_a_reserved_word_or_an_invalid_name(generated) -> None:
    vba, _ = generated
    assert problems_in(vba) == []


def test_the_check_catches_the_argument_that_broke_the_first_version() -> None:
    assert problems_in("Function PT_FEE(codes, Optional units, Optional date)") == [
        "PT_FEE: 'date' is a reserved word in VBA"]


def test_wizard_texts_fit_excels_255_characters_and_errors_arrive_as_text(generated) -> None:
    _, wizard = generated
    assert set(wizard) == set(UDFS)
    for name, info in wizard.items():
        assert info["category"] == "PT Billing"
        assert 0 < len(info["description"]) <= 255, name
        assert info["arguments"] and all(0 < len(doc) <= 255 for doc in info["arguments"]), name
        # err_to_str: an #N/A cell reaches the function as text (refused by name), never as a silent None
        assert all(options.get("err_to_str") == "True" for options in info["options"].values()), name

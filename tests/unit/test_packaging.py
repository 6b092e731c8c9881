"""The packaging helpers that run without PyInstaller: the Windows version resource,
the ICU data filter (packaging/icu_data.py) and the build script's size report."""

from __future__ import annotations

import importlib.util
import struct
import sys
import types
from pathlib import Path

import pytest

import dvcoord

REPO = Path(__file__).resolve().parents[2]
PACKAGING = REPO / "packaging"


def _load(name: str) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(f"_packaging_{name}", PACKAGING / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


version_info = _load("version_info")
icu_data = _load("icu_data")
build = _load("build")


# --------------------------------------------------------------------------- version
def test_version_numbers_come_from_the_release_part():
    assert version_info.version_numbers("0.1.0") == (0, 1, 0, 0)
    assert version_info.version_numbers("2.10") == (2, 10, 0, 0)
    assert version_info.version_numbers("1.2.3.4.5") == (1, 2, 3, 4)
    assert version_info.version_numbers("1.4.0.dev3") == (1, 4, 0, 0)
    assert version_info.version_numbers("3.0rc1+local") == (3, 0, 0, 0)
    with pytest.raises(ValueError):
        version_info.version_numbers("dev")
    with pytest.raises(ValueError):
        version_info.version_numbers("70000.1")


def _parse_resource(text: str, monkeypatch):
    """Evaluate the file the way PyInstaller does, with its classes, away from Windows
    (its module imports pefile and win32api at the top but these classes use neither)."""
    from PyInstaller import compat

    monkeypatch.setitem(sys.modules, "pefile", types.ModuleType("pefile"))
    monkeypatch.setattr(compat, "win32api", None, raising=False)
    name = "PyInstaller.utils.win32.versioninfo"
    monkeypatch.delitem(sys.modules, name, raising=False)
    vi = importlib.import_module(name)
    sys.modules.pop(name)  # bound to the stand-ins above: not for anyone else

    names = {
        n: getattr(vi, n)
        for n in (
            "VSVersionInfo",
            "FixedFileInfo",
            "StringFileInfo",
            "StringTable",
            "StringStruct",
            "VarFileInfo",
            "VarStruct",
        )
    }
    return eval(text, names)  # noqa: S307 - our own generated file


def test_version_file_carries_the_package_version(tmp_path, monkeypatch):
    pytest.importorskip("PyInstaller", reason="PyInstaller is not installed")
    out = version_info.write_version_file(tmp_path / "v.txt", "dvcoord-cli.exe")
    info = _parse_resource(out.read_text(encoding="utf-8"), monkeypatch)
    strings = {s.name: s.val for s in info.kids[0].kids[0].kids}
    assert strings["FileVersion"] == strings["ProductVersion"] == dvcoord.__version__
    assert strings["OriginalFilename"] == "dvcoord-cli.exe"
    assert strings["InternalName"] == "dvcoord-cli"
    assert strings["ProductName"] == "dvcoord"
    assert strings["CompanyName"]
    numbers = version_info.version_numbers(dvcoord.__version__)
    ms, ls = (numbers[0] << 16) | numbers[1], (numbers[2] << 16) | numbers[3]
    assert (info.ffi.fileVersionMS, info.ffi.fileVersionLS) == (ms, ls)
    assert (info.ffi.productVersionMS, info.ffi.productVersionLS) == (ms, ls)
    assert info.kids[0].kids[0].name == "080904B0"  # English (United Kingdom), Unicode
    # PyInstaller can turn it into the binary resource Windows reads.
    assert len(info.toRaw()) > 200


def test_package_version_is_read_as_text():
    assert version_info.package_version() == dvcoord.__version__


# --------------------------------------------------------------------------- ICU data
def _item(name: str, size: int, fill: int = 1) -> icu_data.Item:
    # An ICU data item starts with its own header; the filter only looks at names/sizes.
    return icu_data.Item(f"icudt73l/{name}", bytes([fill]) * size)


def _header() -> bytes:
    head = struct.pack("<HBB", 32, 0xDA, 0x27)
    info = struct.pack("<HHBBBB", 20, 0, 0, 0, 2, 0) + b"CmnD" + bytes([1, 0, 0, 0]) * 2
    return (head + info).ljust(32, b"\0")


SAMPLE = [
    _item("brkitr/cjdict.dict", 300),
    _item("brkitr/en.res", 40),
    _item("brkitr/res_index.res", 20),
    _item("brkitr/word.brk", 50),
    _item("cnvalias.icu", 60),
    _item("coll/de.res", 70),
    _item("coll/en.res", 16),
    _item("coll/root.res", 90),
    _item("coll/ucadata.icu", 120),
    _item("coll/zh_Hant.res", 33),
    _item("en.res", 25),
    _item("en_001.res", 17),
    _item("en_GB.res", 18),
    _item("en_US_POSIX.res", 19),
    _item("fr_CA.res", 21),
    _item("gb18030.cnv", icu_data.MAX_CONVERTER_BYTES + 1),
    _item("ibm-1252_P100-2000.cnv", 900),
    _item("likelySubtags.res", 44),
    _item("pool.res", 45),
    _item("res_index.res", 46),
    _item("root.res", 47),
    _item("translit/root.res", 500),
    _item("zoneinfo64.res", 48),
]


def test_common_data_round_trips_and_keeps_items_aligned():
    package = icu_data.CommonData(_header(), SAMPLE)
    blob = icu_data.build_common_data(package)
    again = icu_data.parse_common_data(blob)
    assert [i.name for i in again.items] == [i.name for i in SAMPLE]
    # Items come back with at most the alignment padding after them.
    for old, new in zip(SAMPLE, again.items, strict=True):
        assert new.data[: len(old.data)] == old.data
        assert len(new.data) - len(old.data) < 16
    toc = blob[32:]
    count = struct.unpack_from("<I", toc, 0)[0]
    assert count == len(SAMPLE)
    offsets = [struct.unpack_from("<II", toc, 4 + 8 * i)[1] for i in range(count)]
    assert all(o % 16 == 0 for o in offsets)
    assert icu_data.build_common_data(again) == blob


def test_filter_keeps_english_and_everything_that_is_not_a_locale():
    kept = icu_data.filter_common_data(icu_data.CommonData(_header(), SAMPLE))
    names = [i.name.split("/", 1)[1] for i in kept.items]
    assert names == [
        "brkitr/en.res",
        "brkitr/res_index.res",
        "brkitr/word.brk",
        "cnvalias.icu",
        "coll/en.res",
        "coll/root.res",
        "coll/ucadata.icu",
        "en.res",
        "en_001.res",
        "en_GB.res",
        "ibm-1252_P100-2000.cnv",
        "likelySubtags.res",
        "pool.res",
        "res_index.res",
        "root.res",
        "zoneinfo64.res",
    ]


def test_filter_refuses_data_without_the_root_locale():
    package = icu_data.CommonData(_header(), [i for i in SAMPLE if i.name != "icudt73l/root.res"])
    with pytest.raises(icu_data.IcuDataError, match="root.res"):
        icu_data.filter_common_data(package)


@pytest.mark.parametrize(
    ("blob", "message"),
    [
        (b"\0" * 10, "too short"),
        (b"\0" * 64, "no ICU data header"),
        (_header()[:12] + b"ResB" + _header()[16:] + b"\0" * 8, "not a common-data"),
    ],
)
def test_parse_refuses_what_is_not_icu_common_data(blob, message):
    with pytest.raises(icu_data.IcuDataError, match=message):
        icu_data.parse_common_data(blob)


def test_find_data_symbol_refuses_a_file_that_is_not_elf():
    with pytest.raises(icu_data.IcuDataError, match="ELF"):
        icu_data.find_data_symbol(b"MZ" + b"\0" * 100)


# --------------------------------------------------------------------------- build report
def test_size_and_largest_parts(tmp_path):
    folder = tmp_path / "dvcoord"
    (folder / "_internal" / "sub").mkdir(parents=True)
    (folder / "dvcoord").write_bytes(b"x" * 300)
    (folder / "_internal" / "a.so").write_bytes(b"x" * 500)
    (folder / "_internal" / "sub" / "b.txt").write_bytes(b"x" * 100)
    (folder / "_internal" / "c.dat").write_bytes(b"x" * 100)
    (folder / "link.so").symlink_to(folder / "_internal" / "a.so")
    assert build.bundle_size(folder) == 1000
    assert build.largest_parts(folder, 3) == [
        ("_internal/a.so", 500),
        ("dvcoord", 300),
        ("_internal/c.dat", 100),
    ]
    bundle = build.Bundle(folder=folder, gui=folder / "dvcoord", cli=folder / "dvcoord", seconds=1)
    text = build.describe(bundle, 2)
    assert "(0.0 MB, built in 1 s)" in text
    assert text.splitlines()[2:] == ["     0.0 MB  _internal/a.so", "     0.0 MB  dvcoord"]


# --------------------------------------------------------------------------- time zones
def test_tzdata_is_a_windows_dependency_and_the_spec_bundles_it():
    """UK dates are read with zoneinfo "Europe/London"; Windows has no system zone
    database, so the tzdata package must be installed there and frozen into the bundle."""
    import re
    import tomllib

    from packaging.requirements import Requirement

    meta = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    found = [Requirement(r) for r in meta["project"]["dependencies"]]
    tzdata = [r for r in found if r.name == "tzdata"]
    assert len(tzdata) == 1
    marker = tzdata[0].marker
    assert marker is None or marker.evaluate({"sys_platform": "win32"})
    spec = (PACKAGING / "dvcoord.spec").read_text(encoding="utf-8")
    assert re.search(r'^\s*\+ \(\["tzdata"\] if WINDOWS else \[\]\)$', spec, re.MULTILINE)

"""A smaller ICU data library for the Linux bundle.

PySide6's Linux wheels link Qt against ICU 7x and ship its full data library,
``libicudata.so.NN`` (about 31 MB: collation, calendars, names and converters for every
language on Earth).  Qt uses ICU for locale-aware comparison (``QCollator``, sorting
with ``localeAwareCompare``), locale-specific case mapping and legacy text codecs.
dvcoord's interface is en-GB only, so this module rewrites the library with the data
an English-language app uses, about 4.6 MB:

* every non-locale item (Unicode properties, normalisation, collation base table
  ``ucadata.icu``, time zones, plural rules, likely subtags, converter aliases, ...);
* of the per-locale items, only ``root``, ``en``, ``en_001`` and ``en_GB`` (and each
  tree's ``res_index`` and ``pool``), in every tree (collation, currencies, units, ...);
* not: the word-break dictionaries for Chinese, Japanese, Thai, Khmer, Lao and Burmese,
  transliteration rules, and the multi-byte East-Asian code pages (any converter
  above 64 KB; the small single-byte ones stay).

A locale whose data is gone falls back, as ICU always does, to ``root``.  Windows
bundles are not affected: PySide6 on Windows uses the ICU that is part of Windows.

The data is ICU's documented "common data" package (``CmnD``: a header, a table of
contents sorted by name, 16-byte-aligned items), so it is filtered in Python; the new
library is assembled with ``as`` and ``ld`` from binutils (which PyInstaller needs on
Linux anyway).  ``tests/gui/test_icu_data.py`` checks that Qt collates and changes case
the same with the small library as with the full one.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

KEEP_LOCALES = frozenset({"root", "en", "en_001", "en_GB"})
MAX_CONVERTER_BYTES = 64 * 1024
DROP_TREES = frozenset({"translit"})
DROP_EXTENSIONS = frozenset({"dict"})

_LOCALE_RE = re.compile(r"^[a-z]{2,3}(?:_[A-Za-z0-9]+)*$")
_SYMBOL_RE = re.compile(rb"^icudt\d+_dat$")
_ALIGN = 16


class IcuDataError(RuntimeError):
    """The library is not what this module understands; the bundle keeps the original."""


@dataclass(frozen=True)
class Item:
    name: str  # e.g. "icudt73l/coll/en.res"
    data: bytes


@dataclass(frozen=True)
class CommonData:
    header: bytes  # the package's own header, kept byte for byte
    items: list[Item]

    @property
    def size(self) -> int:
        return len(self.header) + sum(len(i.data) for i in self.items)


# --------------------------------------------------------------------------- the package
def parse_common_data(blob: bytes) -> CommonData:
    """Split an ICU common-data package into its header and items."""
    if len(blob) < 32:
        raise IcuDataError("too short to be ICU data")
    header_size, magic1, magic2 = struct.unpack_from("<HBB", blob, 0)
    if (magic1, magic2) != (0xDA, 0x27):
        raise IcuDataError("no ICU data header")
    is_big_endian, charset_family = blob[8], blob[9]
    if is_big_endian or charset_family != 0:
        raise IcuDataError("only little-endian ASCII ICU data is handled")
    if blob[12:16] != b"CmnD":
        raise IcuDataError(f"not a common-data package ({blob[12:16]!r})")
    toc = memoryview(blob)[header_size:]
    (count,) = struct.unpack_from("<I", toc, 0)
    entries = [struct.unpack_from("<II", toc, 4 + 8 * i) for i in range(count)]
    items = []
    for i, (name_offset, data_offset) in enumerate(entries):
        end = entries[i + 1][1] if i + 1 < count else len(toc)
        name_end = bytes(toc[name_offset : name_offset + 256]).index(b"\0")
        name = bytes(toc[name_offset : name_offset + name_end]).decode("ascii")
        items.append(Item(name, bytes(toc[data_offset:end])))
    if header_size % _ALIGN:
        raise IcuDataError("the ICU data header is not 16-byte aligned")
    return CommonData(bytes(blob[:header_size]), items)


def build_common_data(package: CommonData) -> bytes:
    """The package as bytes: header, table of contents (same order), aligned items."""
    count = len(package.items)
    names = b"".join(item.name.encode("ascii") + b"\0" for item in package.items)
    names_start = 4 + 8 * count
    data_start = _aligned(names_start + len(names))
    offsets, position = [], data_start
    name_offsets, name_position = [], names_start
    for item in package.items:
        name_offsets.append(name_position)
        name_position += len(item.name) + 1
        offsets.append(position)
        position = _aligned(position + len(item.data))
    toc = bytearray(struct.pack("<I", count))
    for name_offset, data_offset in zip(name_offsets, offsets, strict=True):
        toc += struct.pack("<II", name_offset, data_offset)
    toc += names
    toc += b"\xaa" * (data_start - len(toc))  # ICU's own tools pad the names with 0xAA
    for item, offset in zip(package.items, offsets, strict=True):
        toc += b"\0" * (offset - len(toc))
        toc += item.data
    toc += b"\0" * (_aligned(len(toc)) - len(toc))
    return package.header + bytes(toc)


def _aligned(n: int) -> int:
    return (n + _ALIGN - 1) // _ALIGN * _ALIGN


def wanted(item: Item) -> bool:
    """Whether an English-only app keeps this item (see the module's docstring)."""
    rel = item.name.split("/", 1)[-1]  # drop the "icudt73l/" package prefix
    parts = rel.split("/")
    tree = parts[0] if len(parts) > 1 else ""
    stem, _, ext = parts[-1].rpartition(".")
    if tree in DROP_TREES or ext in DROP_EXTENSIONS:
        return False
    if ext == "cnv" and len(item.data) > MAX_CONVERTER_BYTES:
        return False
    if ext == "res" and stem != "res_index" and _LOCALE_RE.match(stem):
        return stem in KEEP_LOCALES
    return True


def filter_common_data(package: CommonData) -> CommonData:
    kept = [item for item in package.items if wanted(item)]
    names = {item.name.split("/", 1)[-1] for item in kept}
    for needed in ("res_index.res", "root.res", "coll/root.res", "coll/ucadata.icu"):
        if needed not in names:
            raise IcuDataError(f"the ICU data has no {needed}; leaving it whole")
    return CommonData(package.header, kept)


# --------------------------------------------------------------------------- the library
@dataclass(frozen=True)
class _Symbol:
    name: str
    offset: int  # in the file
    size: int


def find_data_symbol(library: bytes) -> _Symbol:
    """The ``icudtNN_dat`` symbol of an ELF64 little-endian ``libicudata``."""
    if library[:4] != b"\x7fELF" or library[4] != 2 or library[5] != 1:
        raise IcuDataError("not a 64-bit little-endian ELF library")
    shoff, shentsize, shnum = (
        struct.unpack_from("<Q", library, 0x28)[0],
        struct.unpack_from("<H", library, 0x3A)[0],
        struct.unpack_from("<H", library, 0x3C)[0],
    )
    sections = []
    for i in range(shnum):
        base = shoff + i * shentsize
        _name, sh_type, _flags, addr, offset, size, link = struct.unpack_from(
            "<IIQQQQI", library, base
        )
        sections.append((sh_type, addr, offset, size, link))
    for sh_type, _addr, offset, size, link in sections:
        if sh_type != 11:  # SHT_DYNSYM
            continue
        strtab_offset = sections[link][2]
        for s in range(offset, offset + size, 24):
            st_name, _info, _other, st_shndx, st_value, st_size = struct.unpack_from(
                "<IBBHQQ", library, s
            )
            end = library.index(b"\0", strtab_offset + st_name)
            name = library[strtab_offset + st_name : end]
            if _SYMBOL_RE.match(name) and 0 < st_shndx < len(sections):
                _t, sec_addr, sec_offset, _s, _l = sections[st_shndx]
                return _Symbol(name.decode("ascii"), sec_offset + st_value - sec_addr, st_size)
    raise IcuDataError("no icudtNN_dat symbol")


def tools_available() -> bool:
    return bool(shutil.which("as") and shutil.which("ld"))


def shrink_library(source: Path, dest: Path) -> tuple[int, int]:
    """Write a copy of ``libicudata.so.NN`` with only the data :func:`wanted` keeps.

    Returns (bytes before, bytes after).  Raises :class:`IcuDataError` when the library
    is not in the expected form or the assembler/linker are missing or fail.
    """
    source, dest = Path(source), Path(dest)
    library = source.read_bytes()
    symbol = find_data_symbol(library)
    package = parse_common_data(library[symbol.offset : symbol.offset + symbol.size])
    small = build_common_data(filter_common_data(package))
    if not tools_available():
        raise IcuDataError("'as' and 'ld' (binutils) are needed to rebuild the ICU library")
    soname = source.name  # libicudata.so.73: what libicuuc asks the loader for
    with tempfile.TemporaryDirectory(prefix="dvcoord-icu-") as tmp:
        folder = Path(tmp)
        (folder / "data.bin").write_bytes(small)
        (folder / "data.s").write_text(
            "\n".join(
                [
                    '.section .rodata,"a",@progbits',
                    f".globl {symbol.name}",
                    f".type {symbol.name}, @object",
                    f".size {symbol.name}, {len(small)}",
                    ".balign 16",
                    f"{symbol.name}:",
                    '.incbin "data.bin"',
                    '.section .note.GNU-stack,"",@progbits',
                    "",
                ]
            ),
            encoding="ascii",
        )
        for cmd in (
            ["as", "-o", "data.o", "data.s"],
            ["ld", "-shared", "-soname", soname, "-z", "noexecstack", "-o", "out.so", "data.o"],
        ):
            done = subprocess.run(cmd, cwd=folder, capture_output=True, text=True)
            if done.returncode != 0:
                raise IcuDataError(f"{cmd[0]} failed: {done.stderr.strip()}")
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(folder / "out.so", dest)
    # Read back what was written: the same symbol, the same package minus the rest.
    check = parse_common_data(_symbol_bytes(dest.read_bytes()))
    if [i.name for i in check.items] != [i.name for i in package.items if wanted(i)]:
        raise IcuDataError("the rebuilt ICU library does not read back")
    return len(library), dest.stat().st_size


def _symbol_bytes(library: bytes) -> bytes:
    symbol = find_data_symbol(library)
    return library[symbol.offset : symbol.offset + symbol.size]


if __name__ == "__main__":  # pragma: no cover - manual use
    import sys

    before, after = shrink_library(Path(sys.argv[1]), Path(sys.argv[2]))
    print(f"{before / 1e6:.1f} MB -> {after / 1e6:.1f} MB")

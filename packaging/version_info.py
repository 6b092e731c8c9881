"""Write the Windows version resource for the bundle's executables.

    python packaging/version_info.py [OUT]      (default: build/version_info.txt)

The numbers come from ``dvcoord.__version__`` (read from ``src/dvcoord/__init__.py``
as text, so this runs without dvcoord installed).  Windows shows them on the
executable's Properties > Details tab, and software-inventory tools and application
allow-lists (AppLocker, Defender Application Control) read them from there.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
INIT = REPO / "src" / "dvcoord" / "__init__.py"
DEFAULT_OUT = REPO / "build" / "version_info.txt"

COMPANY = "dvcoord developers"
PRODUCT = "dvcoord"
DESCRIPTION = "dvcoord: domestic-abuse partnership co-ordination"
COPYRIGHT = "MIT licence; DejaVu fonts under their own licence"

TEMPLATE = """\
# UTF-8
# Windows version resource for {original}, written by packaging/version_info.py.
VSVersionInfo(
  ffi=FixedFileInfo(
    filevers={numbers},
    prodvers={numbers},
    mask=0x3f,
    flags=0x0,
    OS=0x40004,
    fileType=0x1,
    subtype=0x0,
    date=(0, 0)
  ),
  kids=[
    StringFileInfo([
      StringTable(
        '080904B0',
        [StringStruct('CompanyName', {company!r}),
         StringStruct('FileDescription', {description!r}),
         StringStruct('FileVersion', {version!r}),
         StringStruct('InternalName', {internal!r}),
         StringStruct('LegalCopyright', {copyright!r}),
         StringStruct('OriginalFilename', {original!r}),
         StringStruct('ProductName', {product!r}),
         StringStruct('ProductVersion', {version!r})])
    ]),
    VarFileInfo([VarStruct('Translation', [2057, 1200])])
  ]
)
"""


def package_version() -> str:
    """``__version__`` as written in ``src/dvcoord/__init__.py``."""
    match = re.search(r"^__version__\s*=\s*['\"]([^'\"]+)['\"]", INIT.read_text("utf-8"), re.M)
    if match is None:
        raise SystemExit(f"no __version__ in {INIT}")
    return match.group(1)


def version_numbers(version: str) -> tuple[int, int, int, int]:
    """The four 16-bit numbers Windows wants: ``0.1.0`` -> (0, 1, 0, 0).

    Anything after the numeric release (``.dev1``, ``rc2``, ``+local``) is dropped from
    the numbers (the text keeps it).
    """
    release = re.match(r"\d+(?:\.\d+)*", version)
    if release is None:
        raise ValueError(f"'{version}' does not start with a release number")
    parts = [int(p) for p in release.group(0).split(".")][:4]
    parts += [0] * (4 - len(parts))
    if any(p > 0xFFFF for p in parts):
        raise ValueError(f"'{version}' has a part above 65535")
    return tuple(parts)  # type: ignore[return-value]


def render(version: str, exe_name: str = "dvcoord.exe") -> str:
    return TEMPLATE.format(
        numbers=version_numbers(version),
        version=version,
        company=COMPANY,
        description=DESCRIPTION,
        copyright=COPYRIGHT,
        internal=exe_name.removesuffix(".exe"),
        original=exe_name,
        product=PRODUCT,
    )


def write_version_file(out: Path = DEFAULT_OUT, exe_name: str = "dvcoord.exe") -> Path:
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(package_version(), exe_name), encoding="utf-8")
    return out


if __name__ == "__main__":
    print(write_version_file(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUT))

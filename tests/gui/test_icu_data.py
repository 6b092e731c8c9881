"""The Linux bundle's smaller ICU data (packaging/icu_data.py) changes nothing an
English-language user sees: Qt collates and changes case exactly as with the full data.

Qt is run in a child process with ``LD_LIBRARY_PATH`` pointing at the rebuilt
``libicudata`` (the wheel's Qt finds its own copy through RUNPATH, which
``LD_LIBRARY_PATH`` overrides), and the child reports which copy it loaded.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

PROBE = r"""
import json
from PySide6.QtCore import QCollator, QCoreApplication, QLocale, Qt
app = QCoreApplication([])
words = ["zebra", "Émile", "apple", "Apple", "éclair", "Zoë", "ångström", "Œuvre", "naïve",
         "nave", "MARAC-2024-117", "marac-2024-20", "Ärger", "co-op", "coop", "10", "9",
         "ß", "ss", "O'Brien", "Obrien", "résumé", "resume", "Ø", "Zürich"]
out = {}
for name in ("en_GB", "en_US", "en", "C"):
    collator = QCollator(QLocale(name))
    out[name] = sorted(words, key=collator.sortKey)
    collator.setNumericMode(True)
    out[name + " numeric"] = sorted(words, key=collator.sortKey)
    collator.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    out[name + " numeric, any case"] = sorted(words, key=collator.sortKey)
    out[name + " compare"] = QCollator(QLocale(name)).compare("résumé", "resume")
out["upper"] = QLocale("en_GB").toUpper("straße istanbul ǆ ﬁ")
out["lower"] = QLocale("en_GB").toLower("İSTANBUL ΣΑΣ")
out["aware"] = sorted(words, key=lambda w: [w])  # plain, as a control
out["loaded"] = sorted({l.split()[-1] for l in open("/proc/self/maps") if "libicudata" in l})
print(json.dumps(out, ensure_ascii=False))
"""


def _icu_data_module():
    spec = importlib.util.spec_from_file_location(
        "_packaging_icu", REPO / "packaging" / "icu_data.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _probe(library_dir: Path | None) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "LD_LIBRARY_PATH"}
    if library_dir is not None:
        env["LD_LIBRARY_PATH"] = str(library_dir)
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_english_collation_and_case_mapping_are_unchanged(tmp_path):
    if not sys.platform.startswith("linux"):
        pytest.skip("the ICU data is cut only in the Linux bundle")
    icu_data = _icu_data_module()
    if not icu_data.tools_available():
        pytest.skip("'as' and 'ld' (binutils) are not installed")
    import PySide6

    full = next((Path(PySide6.__file__).parent / "Qt" / "lib").glob("libicudata.so.*"), None)
    if full is None:
        pytest.skip("this PySide6 has no ICU data library of its own")
    small = tmp_path / full.name
    before, after = icu_data.shrink_library(full, small)
    assert after < before / 4

    with_full = _probe(None)
    with_small = _probe(tmp_path)
    assert with_full.pop("loaded") == [str(full.resolve())]
    assert with_small.pop("loaded") == [str(small)]
    assert with_small == with_full
    # The probe is not vacuous: collation is not code-point order.
    assert with_full["en_GB"] != with_full["aware"]
    assert with_full["en_GB"].index("Émile") < with_full["en_GB"].index("zebra")

"""Build ``resources/icons/dvcoord.ico`` (for the Windows executable) from ``dvcoord.svg``.

    python tools/make_icon.py

Each size (16-256 px) is rendered from the SVG by Qt's own SVG renderer, so small sizes
are drawn sharp rather than shrunk from a large bitmap.  With Pillow installed (it comes
with ReportLab) every size goes into one multi-size .ico; without it Qt's ``ico`` image
plugin writes the 256 px image alone, which Windows scales.  Re-run after changing the SVG
and commit the .ico.
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QImageWriter, QPainter  # noqa: E402
from PySide6.QtSvg import QSvgRenderer  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SVG = ROOT / "resources" / "icons" / "dvcoord.svg"
ICO = ROOT / "resources" / "icons" / "dvcoord.ico"
SIZES = (16, 20, 24, 32, 40, 48, 64, 128, 256)


def render(renderer: QSvgRenderer, size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    return image


def png_bytes(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data)


def main() -> int:
    _app = QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        print(f"cannot read {SVG}", file=sys.stderr)
        return 1
    images = {size: render(renderer, size) for size in SIZES}
    try:
        from PIL import Image
    except ImportError:
        Image = None  # noqa: N806
    if Image is not None:
        frames = [Image.open(io.BytesIO(png_bytes(images[s]))).convert("RGBA") for s in SIZES]
        largest = frames[-1]
        largest.save(ICO, format="ICO", sizes=[(s, s) for s in SIZES], append_images=frames[:-1])
        how = f"Pillow, {len(SIZES)} sizes"
    elif b"ico" in [bytes(f) for f in QImageWriter.supportedImageFormats()]:
        writer = QImageWriter(str(ICO), b"ico")
        if not writer.write(images[256]):
            print(f"Qt could not write {ICO}: {writer.errorString()}", file=sys.stderr)
            return 1
        how = "Qt's ico plugin, 256 px only"
    else:
        print("neither Pillow nor Qt's ico plugin is available", file=sys.stderr)
        return 1
    print(f"wrote {ICO} ({ICO.stat().st_size} bytes; {how})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

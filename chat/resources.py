"""Where Confab's files are, whether it runs from a checkout or from an installed wheel."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def assets_dir() -> Path:
    """The web assets (index.html, manifest, icons): chat/assets in a wheel, assets/ in a checkout."""
    packaged = PACKAGE_DIR / "assets"
    if (packaged / "index.html").is_file():
        return packaged
    return PACKAGE_DIR.parent / "assets"

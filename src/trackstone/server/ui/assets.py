"""Where the UI's templates and static files live, and whether the vendor files were built."""

from __future__ import annotations

from pathlib import Path

__all__ = ["STATIC_DIR", "TEMPLATES_DIR", "VENDOR_DIR", "vendor_ready"]

_HERE = Path(__file__).parent
STATIC_DIR = _HERE / "static"
TEMPLATES_DIR = _HERE / "templates"
VENDOR_DIR = STATIC_DIR / "vendor"
_READY_MARKER = VENDOR_DIR / "ready.json"


def vendor_ready() -> bool:
    """Tell whether ``frontend/build.mjs`` has copied the third-party browser files.

    Checked per page so that building while the server runs takes effect at once.
    """
    return _READY_MARKER.is_file()

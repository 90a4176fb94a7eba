"""Leaflet (npm ``leaflet``, pinned in frontend/package-lock.json) served by the app under
/static/vendor/leaflet/: the map works without the internet. Only the files named here are served."""
from pathlib import Path

from scan.vendor import NODE_MODULES

FILES = {
    "leaflet.js": "leaflet/dist/leaflet.js",
    "leaflet.css": "leaflet/dist/leaflet.css",
    # leaflet.css asks for these relative to itself (images/…)
    "images/layers.png": "leaflet/dist/images/layers.png",
    "images/layers-2x.png": "leaflet/dist/images/layers-2x.png",
    "images/marker-icon.png": "leaflet/dist/images/marker-icon.png",
    "images/marker-icon-2x.png": "leaflet/dist/images/marker-icon-2x.png",
    "images/marker-shadow.png": "leaflet/dist/images/marker-shadow.png",
}
MIMETYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}


def path(name: str) -> Path | None:
    relative = FILES.get(name)
    return NODE_MODULES / relative if relative else None


def missing() -> list[str]:
    """The Leaflet files that are not installed (empty when all are)."""
    return [name for name in FILES if not path(name).is_file()]

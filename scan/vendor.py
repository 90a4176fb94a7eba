"""Front-end files installed by npm (frontend/package-lock.json, `npm ci` in `make install`) and served
by the app itself under /static/vendor/: no CDN at run time.

Only the files named here are served, each from its place inside frontend/node_modules.
"""
from pathlib import Path

from flask import abort, send_file

NODE_MODULES = Path(__file__).resolve().parent.parent / "frontend" / "node_modules"

# URL name under /static/vendor/ → path inside node_modules
FILES = {
    # barcode-detector's ponyfill as one classic script: the global BarcodeDetectionAPI with
    # BarcodeDetector and setZXingModuleOverrides (zxing-wasm's JS glue is bundled in it)
    "barcode-detector.js": "barcode-detector/dist/iife/ponyfill.js",
    # the ZXing reader compiled to WebAssembly; scan-camera.js points locateFile here
    "zxing_reader.wasm": "zxing-wasm/dist/reader/zxing_reader.wasm",
    # the small pure-JS fallback where WebAssembly is unavailable
    "jsQR.js": "jsqr/dist/jsQR.js",
}

MIMETYPES = {".js": "text/javascript", ".wasm": "application/wasm"}


class VendorFilesMissing(RuntimeError):
    pass


def path(name: str) -> Path | None:
    relative = FILES.get(name)
    return NODE_MODULES / relative if relative else None


def missing() -> list[str]:
    """The vendor files that are not installed (empty when all are)."""
    return [f"{name} ({NODE_MODULES / rel})" for name, rel in FILES.items() if not (NODE_MODULES / rel).is_file()]


def check() -> None:
    """Raises VendorFilesMissing naming each missing file and the command that installs them."""
    gone = missing()
    if gone:
        raise VendorFilesMissing(
            "the scanning page's front-end files are not installed: " + ", ".join(gone)
            + ". Run `make install` (or `cd frontend && npm ci`).")


def send(path: Path | None, name: str, mimetypes: dict = MIMETYPES):
    """The answer for /static/vendor/…: the file, a 404 for a name not listed, or a 404 saying how to install it."""
    if path is None:
        abort(404)
    if not path.is_file():
        abort(404, description=f"{name} is not installed: run `make install` (npm ci in frontend/)")
    return send_file(path, mimetype=mimetypes.get(path.suffix, "application/octet-stream"))

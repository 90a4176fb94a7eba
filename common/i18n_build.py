"""Compiling the translation catalogs (.po → .mo) without the pybabel command.

The .mo files are build output and not committed. ``compile_catalogs()`` (re)writes every .mo that
is missing or older than its .po; the tests, the Makefile and the app start call it. Same result as
``pybabel compile -d translations``.

    python -m common.i18n_build            # compile what is stale
    python -m common.i18n_build --force    # compile everything
"""
import os
import sys
import tempfile
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"


def compile_catalogs(directory: Path | str = TRANSLATIONS, *, force: bool = False) -> list[Path]:
    """Writes <locale>/LC_MESSAGES/<domain>.mo next to each .po that changed; returns the files written.
    Fuzzy entries are left out, as pybabel does. Each file is written to a temporary name and renamed,
    so a process reading the catalog meanwhile never sees half a file."""
    written = []
    for po_path in sorted(Path(directory).glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        if not force and mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        locale = po_path.parent.parent.name
        with po_path.open("rb") as f:
            catalog = read_po(f, locale=locale)
        fd, tmp = tempfile.mkstemp(dir=mo_path.parent, prefix=".", suffix=".mo.tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                write_mo(f, catalog, use_fuzzy=False)
            os.replace(tmp, mo_path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        written.append(mo_path)
    return written


if __name__ == "__main__":
    for path in compile_catalogs(force="--force" in sys.argv[1:]):
        print(f"compiled {path}")

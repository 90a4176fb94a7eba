"""Files of secrets made on first start under instance/ (the session key, the ledger keys), never in the
repository."""
import os
import time
from pathlib import Path


def kept_file(path: Path, first_content, ready) -> str:
    """The text of ``path``, written with ``first_content()`` (mode 0600) when the file does not exist yet.
    Created exclusively: of several workers starting at once, one writes it and all read the same text,
    waiting a moment for the writer when the file exists but ``ready(text)`` is not yet true."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as f:
            f.write(first_content())
    for _ in range(100):
        text = path.read_text()
        if ready(text):
            return text
        time.sleep(0.01)
    raise RuntimeError(f"{path} holds nothing usable")

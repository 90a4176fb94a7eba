"""The ledger keys: secrets kept in a file outside the database (``instance/ledger_keys``, or the path in
the LEDGER_KEYS setting), never in the repository.

One key a line, ``<key id> <64 hex digits>``, oldest first; the last line is the current key, which signs
every new ledger line and seal. The file is made on first start (like the SECRET_KEY file) and grows by
one line with every ``flask --app app ledger rotate-key``; old keys stay to verify the lines made with
them. Losing the file means old lines can no longer be checked: back it up apart from the database.

The keyring is loaded once at app creation and attached to the engine whose ledger it signs
(``attach`` / ``of``): every service that writes a line finds it there without extra arguments.
"""
import os
import secrets
import weakref
from dataclasses import dataclass, field
from pathlib import Path

from common.secret_files import kept_file
from inventory.chain import fingerprint, key_id

HEADER = ("# ReliefDepot ledger keys: <key id> <key>, oldest first; the last is current.\n"
          "# Keep apart from the database and back up; never commit. See README, 'Ledger integrity'.\n")


@dataclass(frozen=True)
class Keyring:
    keys: dict[str, bytes] = field(default_factory=dict)  # key id → key, oldest first
    current: str | None = None

    @property
    def current_key(self) -> bytes | None:
        return self.keys[self.current] if self.current else None

    @staticmethod
    def of_keys(*keys: bytes) -> "Keyring":
        """An in-memory keyring (tests, benchmarks); the last key is current."""
        ring = {key_id(k): k for k in keys}
        return Keyring(ring, key_id(keys[-1]) if keys else None)

    def fingerprint(self, kid: str) -> str:
        return fingerprint(self.keys[kid])


def new_key() -> bytes:
    return secrets.token_bytes(32)


def _parse(text: str, path: Path) -> Keyring:
    keys = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        kid, _, hexkey = line.partition(" ")
        try:
            key = bytes.fromhex(hexkey.strip())
        except ValueError:
            raise RuntimeError(f"{path} line {number}: a key is 64 hex digits")
        if len(key) < 16 or key_id(key) != kid:
            raise RuntimeError(f"{path} line {number}: the key does not match its id {kid}")
        keys[kid] = key
    return Keyring(keys, next(reversed(keys)) if keys else None)


def _line(key: bytes) -> str:
    return f"{key_id(key)} {key.hex()}\n"


def load(path: Path | str) -> Keyring:
    """The keyring in ``path``, made with one new key when the file does not exist (``kept_file``)."""
    path = Path(path)
    try:
        text = kept_file(path, lambda: HEADER + _line(new_key()), lambda text: _parse(text, path).current is not None)
    except RuntimeError:
        raise RuntimeError(f"{path} holds no ledger key; restore it from the backup") from None
    return _parse(text, path)


def add_key(path: Path | str, key: bytes | None = None) -> Keyring:
    """Appends a new key, which becomes current (the file is replaced whole, never left half written)."""
    path = Path(path)
    text = path.read_text()
    key = key or new_key()
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text + ("" if text.endswith("\n") else "\n") + _line(key))
    os.replace(temporary, path)
    return _parse(path.read_text(), path)


def restore(path: Path | str, text: str) -> None:
    """Puts back the file as it was (a rotation that could not be recorded)."""
    temporary = Path(path).with_name(f"{Path(path).name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(temporary, path)


_ATTACHED: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_NONE = Keyring()


def attach(engine, keyring: Keyring) -> None:
    _ATTACHED[engine] = keyring


def of(engine) -> Keyring:
    """The keyring attached to this engine; an empty one (plain SHA-256 lines, as before keys) if none."""
    return _ATTACHED.get(engine, _NONE)

"""Tamper evidence for the ledger, in plain Python.

Every ledger line carries a hash of its own content and of the line before it *in the same lot*
(``prev_hash``); the lot keeps the hash of its latest line (``chain_head``). Chains per lot cost no
extra waiting: the lot row is already locked for the balance, so keepers at different lots never
queue for the chain. Editing, deleting, inserting or reordering a past line breaks its lot's chain.

Lines written since ledger keys came in are an HMAC-SHA256 with a secret key kept outside the database
(``key_id`` names which); older lines are a plain SHA-256 of the same content, and still verify. So a
person who can write to the database but has no key cannot append or rewrite a line that verifies.
The key is a plain value here: where it is kept is ``inventory.ledger_keys``.

A seal is a digest over every line's hash in id order up to a given line. Printed on reports, kept
outside the system or archived with an HMAC of its own, it also catches what rewriting whole chains
consistently would hide: compare it later with ``ledger verify --seal`` (archived seals are checked by
every verify).
"""
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Mapping

GENESIS = "0" * 64
HASHED_FIELDS = ("lot_id", "depot_id", "item_id", "kind", "quantity", "balance_after", "user_id", "created_at",
                 "reason", "note", "reference", "idempotency_key", "counterpart_id")


def _canonical_time(value: datetime) -> str:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def line_hash(prev_hash: str, fields: dict, key: bytes | None = None) -> str:
    """The hash of one ledger line: its content in a fixed order, bound to the line before it;
    an HMAC-SHA256 with ``key`` when given, else (lines from before keys) a plain SHA-256."""
    values = [_canonical_time(fields[k]) if k == "created_at" else fields[k] for k in HASHED_FIELDS]
    payload = json.dumps([prev_hash, values], ensure_ascii=False, separators=(",", ":")).encode()
    if key is None:
        return hashlib.sha256(payload).hexdigest()
    return hmac.digest(key, payload, "sha256").hex()


def fingerprint(key: bytes) -> str:
    """Names a key without giving it away: safe to record in the database and to print."""
    return hashlib.sha256(b"ReliefDepot ledger key fingerprint\x00" + key).hexdigest()


def key_id(key: bytes) -> str:
    """The short name lines carry of the key they were made with."""
    return fingerprint(key)[:12]


def record_mac(key: bytes, *parts) -> str:
    """An HMAC over a small record (a seal, a key's coming into use): only the key holder makes one."""
    text = "\x1f".join(_canonical_time(p) if isinstance(p, datetime) else str(p) for p in parts)
    return hmac.digest(key, text.encode(), "sha256").hex()


def macs_match(a: str | None, b: str) -> bool:
    return a is not None and hmac.compare_digest(a, b)


@dataclass(frozen=True)
class Mismatch:
    movement_id: int  # 0 when the problem is a lot's, not a line's
    problem: str
    lot: str | None = None  # the lot's code


@dataclass(frozen=True)
class LotEnd:
    """What the lot row says of its ledger: the hash of its latest line and its quantity."""

    code: str
    head: str
    quantity: int


def verify_lines(lines, lots: Mapping[int, LotEnd], keys: Mapping[str, bytes] | None = None,
                 plain_upto: int | None = None) -> list[Mismatch]:
    """Checks lines given in id order (dicts with id, prev_hash, hash, key_id and the hashed fields) against
    their chains and balances, and every lot's quantity against the balance after its latest line; returns
    every mismatch, the first one first. ``keys``: key id → key; ``plain_upto``: the last line that may be
    a plain SHA-256 (None: any line may be)."""
    keys = keys or {}
    last: dict[int, str] = {}
    balance: dict[int, int] = {}
    found = []

    def code(lot_id):
        end = lots.get(lot_id)
        return end.code if end else f"#{lot_id} (not in the lot table)"

    for line in lines:
        lot = line["lot_id"]
        expected_prev = last.get(lot, GENESIS)
        kid = line.get("key_id")
        problem = None
        if line["prev_hash"] != expected_prev:
            problem = "the line before it in this lot is missing or was changed, or lines were reordered"
        elif kid is None and plain_upto is not None and line["id"] > plain_upto:
            problem = (f"it has no ledger key, but every line after {plain_upto} is made with one: "
                       "written outside the application")
        elif kid is not None and kid not in keys:
            problem = f"it names ledger key {kid}, which is not in the key file: cannot be checked, or forged"
        elif line_hash(line["prev_hash"], line, keys.get(kid) if kid else None) != line["hash"]:
            problem = "its content does not match its hash (edited, or hashed without the right key)"
        elif line["balance_after"] != balance.get(lot, 0) + line["quantity"]:
            problem = (f"its balance after ({line['balance_after']}) is not the balance before "
                       f"({balance.get(lot, 0)}) plus its quantity ({line['quantity']})")
        if problem:
            found.append(Mismatch(line["id"], problem, code(lot)))
        last[lot] = line["hash"]
        balance[lot] = line["balance_after"]
    for lot, end in sorted(lots.items()):
        if last.get(lot, GENESIS) != end.head:
            found.append(Mismatch(0, f"lot {end.code}: its latest line is missing or was changed", end.code))
        elif end.quantity != balance.get(lot, 0):
            found.append(Mismatch(0, f"lot {end.code}: it holds {end.quantity} but its ledger ends at "
                                     f"{balance.get(lot, 0)} (quantity changed behind the ledger)", end.code))
    return found


class Seal:
    """Folds line hashes, in id order, into one digest. ``Seal(digest, count, upto)`` carries on from an
    earlier seal, so a new seal reads only the lines after it."""

    def __init__(self, digest: str = GENESIS, count: int = 0, upto: int = 0):
        self.digest = digest
        self.count = count
        self.upto = upto

    def add(self, movement_id: int, hash_: str) -> None:
        self.digest = hashlib.sha256(f"{self.digest}:{movement_id}:{hash_}".encode()).hexdigest()
        self.count += 1
        self.upto = movement_id

    def text(self) -> str:
        return f"{self.upto}:{self.digest}"


def parse_seal(text: str) -> tuple[int, str]:
    upto, _, digest = text.strip().partition(":")
    if not upto.isdigit() or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise ValueError("a seal looks like <last line id>:<64 hex digits>")
    return int(upto), digest


class SealCheck:
    """Checks seals (each (upto, count, digest)) against the digest of the lines folded so far: a seal is
    settled just before the first line past it, or at the end."""

    def __init__(self, seals):
        self.pending = sorted(seals, key=lambda s: s[0])
        self.results: dict[int, bool] = {}  # index in the given order → matches

    def before(self, movement_id: int, folded: Seal) -> None:
        while self.pending and movement_id > self.pending[0][0]:
            self._settle(folded)

    def finish(self, folded: Seal) -> None:
        while self.pending:
            self._settle(folded)

    def _settle(self, folded: Seal) -> None:
        upto, count, digest, *rest = self.pending.pop(0)
        self.results[rest[0] if rest else upto] = (folded.digest == digest and
                                                   (count is None or folded.count == count))

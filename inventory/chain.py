"""Tamper evidence for the ledger, in plain Python.

Every ledger line carries the SHA-256 of its own content and of the line before it *in the same lot*
(``prev_hash``); the lot keeps the hash of its latest line (``chain_head``). Chains per lot cost no
extra waiting: the lot row is already locked for the balance, so keepers at different lots never
queue for the chain. Editing, deleting, inserting or reordering a past line breaks its lot's chain.

A seal is a digest over every line's hash in id order up to a given line. Printed on reports or kept
outside the system, it also catches what rewriting whole chains consistently would hide: compare it
later with ``ledger verify --seal``.
"""
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone

GENESIS = "0" * 64
HASHED_FIELDS = ("lot_id", "depot_id", "item_id", "kind", "quantity", "balance_after", "user_id", "created_at",
                 "reason", "note", "reference", "idempotency_key", "counterpart_id")


def _canonical_time(value: datetime) -> str:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def line_hash(prev_hash: str, fields: dict) -> str:
    """The hash of one ledger line: its content in a fixed order, bound to the line before it."""
    values = [_canonical_time(fields[k]) if k == "created_at" else fields[k] for k in HASHED_FIELDS]
    payload = json.dumps([prev_hash, values], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


@dataclass(frozen=True)
class Mismatch:
    movement_id: int
    problem: str


def verify_lines(lines, lot_heads: dict[int, str]) -> list[Mismatch]:
    """Checks lines given in id order (dicts with id, prev_hash, hash and the hashed fields) against
    their chains; returns every mismatch, the first one first."""
    last: dict[int, str] = {}
    found = []
    for line in lines:
        lot = line["lot_id"]
        expected_prev = last.get(lot, GENESIS)
        if line["prev_hash"] != expected_prev:
            what = "the line before it in this lot is missing or was changed, or lines were reordered"
            found.append(Mismatch(line["id"], what))
        elif line_hash(line["prev_hash"], line) != line["hash"]:
            found.append(Mismatch(line["id"], "its content does not match its hash (edited)"))
        last[lot] = line["hash"]
    for lot, head in sorted(lot_heads.items()):
        if last.get(lot, GENESIS) != head:
            found.append(Mismatch(0, f"lot id {lot}: its latest line is missing or was changed"))
    return found


class Seal:
    """Folds line hashes, in id order, into one digest."""

    def __init__(self):
        self.digest = GENESIS
        self.count = 0
        self.upto = 0

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

"""Doing an action once: the retrying unit of work and the idempotency keys every use case shares.

``in_transaction`` runs one unit of work and runs it again when PostgreSQL picks it as a deadlock's victim or two
requests created the same row at once. ``once_in`` does an action once per (user, ``Idempotency-Key``): it claims
the key (inserts its row under a unique constraint) before any work, so a duplicate racing the first waits on that
row and then gets the first answer — or the first refusal, raised again — instead of doing the work twice.
``ctx`` is an ``inventory.services.Context`` (its actor, ``now`` and ``idempotency_key`` are read).
"""
import hashlib
import json
import random
import time

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError, OperationalError

from common.db import UnitOfWork
from common.errors import DomainError, IdempotencyKeyReused, InvalidInput
from inventory.models import IdempotencyRecord

IDEMPOTENCY = IdempotencyRecord.__table__
RETRYABLE_SQLSTATES = {"40P01", "40001"}  # deadlock detected, serialization failure
ATTEMPTS = 3


def in_transaction(engine, body):
    """One unit of work around ``body(uow)``, committed, and its result. Run again (a few times) when
    PostgreSQL picks it as a deadlock's victim (two transfers in opposite directions) or when two first
    transfers or receipts both created the same destination lot (the retry finds it)."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with UnitOfWork(engine) as uow:
                result = body(uow)
                uow.commit()
                return result
        except OperationalError as e:
            if getattr(e.orig, "sqlstate", None) not in RETRYABLE_SQLSTATES or attempt == ATTEMPTS:
                raise
        except IntegrityError:
            if attempt == ATTEMPTS:
                raise
        time.sleep(random.uniform(0.005, 0.05) * attempt)


def once_in(uow, ctx, kind: str, params: dict, work) -> tuple[dict, bool]:
    """An action of another package (a count session's line) done once per ``ctx.idempotency_key``, in the
    caller's unit of work, as the stock operations are: claims the key first, then runs ``work()`` (which
    returns the answer as a JSON-able dict) and keeps its answer or its refusal with the key. Returns
    (answer, replayed): a repeat gets the first answer back (or its refusal raised again) and nothing is
    done twice. Without a key it just runs ``work()``. The caller commits; a refusal is committed here."""
    if ctx.idempotency_key is None:
        return work(), False
    if not (0 < len(ctx.idempotency_key) <= 100):
        raise InvalidInput("Idempotency-Key must be 1 to 100 characters", field="idempotency_key")
    fingerprint = hashlib.sha256(
        json.dumps({"kind": kind, **params}, sort_keys=True, default=str).encode()).hexdigest()
    replay = _claim(uow, ctx, fingerprint)
    if replay is not None:
        return replay, True
    nested = uow.session.begin_nested()
    try:
        answer = work()
    except DomainError as refusal:
        # The refusal is the key's answer from now on, as a success would be: an earlier attempt of the same
        # action still queued behind this one must not go through after the phone was told "refused" (a
        # phone that resends a refused action sends it with a new key).
        nested.rollback()
        _remember(uow, ctx, {"refused": _refusal_document(refusal)})
        uow.commit()
        raise
    _remember(uow, ctx, answer)
    return answer, False


_FIND_ANSWER = (sa.select(IDEMPOTENCY.c.fingerprint, IDEMPOTENCY.c.response)
                .where(IDEMPOTENCY.c.user_id == sa.bindparam("user_id"), IDEMPOTENCY.c.key == sa.bindparam("key")))
_CLAIM = {  # insert the key's row unless it exists; RETURNING says whether this request made it
    name: dialect_insert(IDEMPOTENCY).on_conflict_do_nothing(index_elements=["user_id", "key"])
    .returning(IDEMPOTENCY.c.id)
    for name, dialect_insert in (("postgresql", postgresql_insert), ("sqlite", sqlite_insert))
}
_REMEMBER = (sa.update(IDEMPOTENCY).values(response=sa.bindparam("answer"))
             .where(IDEMPOTENCY.c.user_id == sa.bindparam("for_user"), IDEMPOTENCY.c.key == sa.bindparam("for_key")))


def _claim(uow, ctx, fingerprint: str) -> dict | None:
    """Claims (user, key) before any work: the key's row is inserted first, in this transaction.
    A concurrent request with the same key then waits on the unique index until this one ends (PostgreSQL;
    SQLite serialises writers from BEGIN IMMEDIATE), and finds the committed answer instead of doing the
    work again and being refused for stock the first request took. Returns that answer, or None when this
    request holds the claim and must do the work."""
    c = uow.session.connection()
    claimed = c.execute(_CLAIM[c.dialect.name], {
        "user_id": ctx.actor.user_id, "key": ctx.idempotency_key, "fingerprint": fingerprint,
        "response": "", "created_at": ctx.now}).first()
    if claimed is not None:
        return None
    record = c.execute(_FIND_ANSWER, {"user_id": ctx.actor.user_id, "key": ctx.idempotency_key}).one()
    if record.fingerprint != fingerprint:
        raise IdempotencyKeyReused(
            f"Idempotency-Key {ctx.idempotency_key} was already used for a different request; "
            "use a new key for a new action",
            field="idempotency_key",
        )
    answer = json.loads(record.response)
    if "refused" in answer:
        raise _replayed_refusal(answer["refused"])
    return {**answer, "replayed": True}


def _refusal_document(e: DomainError) -> dict:
    return {"status": e.status, "code": e.code, "message": e.message, "field": e.field,
            "message_code": e.message_code, "params": e.params, "details": e.details}


def _replayed_refusal(document: dict) -> DomainError:
    """The refusal first given for a key, raised again with the same status, code, message and values."""
    error = DomainError(document["message"], field=document["field"], message_code=document["message_code"],
                        params=document["params"], replayed=True, **document["details"])
    error.status, error.code = document["status"], document["code"]
    return error


def _remember(uow, ctx, result: dict) -> None:
    """Stores the answer in the row claimed for (user, key), in the same transaction as the work."""
    uow.session.connection().execute(_REMEMBER, {"for_user": ctx.actor.user_id, "for_key": ctx.idempotency_key,
                                         "answer": json.dumps(result, ensure_ascii=False)})

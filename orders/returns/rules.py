"""The arithmetic of returns (回收), in plain Python.

Per incident, site and durable item::

    sent      = units the incident's orders (not cancelled) delivered to the site: received at a depot,
                handed over at a shelter (units still in transit are on the order, not at the site)
    still out = sent − returned (received back into a depot, inspected or not) − released (declared by a
                dispatcher as not coming back, with a reason)

A return takes at most what is still out; its inspection splits it, all of it, into restocked and damaged.
"""
from dataclasses import dataclass

from common.errors import DomainError, InvalidInput
from orders.rules import quantity, text

PREFIX = "HS-"


class ReturnConflict(DomainError):
    """More than is out, a return inspected twice…"""

    code = "return_conflict"


def reference(return_id: int) -> str:
    """HS-<id>: the reference of the ledger lines a return writes."""
    return f"{PREFIX}{return_id}"


@dataclass(frozen=True)
class Outstanding:
    sent: int
    returned: int = 0
    released: int = 0

    @property
    def still_out(self) -> int:
        return self.sent - self.returned - self.released


def outstanding(sent: dict, returned: dict, released: dict) -> dict:
    """Per key (site, item): sent, returned, released and still out. A key with nothing sent is left out."""
    return {key: Outstanding(n, returned.get(key, 0), released.get(key, 0)) for key, n in sorted(sent.items()) if n}


def check_taken_back(what: str, site: str, item: str, wanted, out: Outstanding | None) -> int:
    """A return or a release of ``wanted`` units of ``item`` from ``site``: a whole number, at most still out."""
    wanted = quantity(wanted, "quantity")
    still = out.still_out if out else 0
    if wanted > still:
        raise ReturnConflict(
            f"{wanted} of {item} cannot be {what} from {site}: {still} are still out there", field="quantity",
            message_code="return_more_than_out",
            params={"item": item, "site": site, "quantity": wanted, "still_out": still})
    return wanted


@dataclass(frozen=True)
class Inspection:
    restocked: int
    damaged: int
    damage_reason: str | None


def check_inspection(ref: str, returned: int, restocked, damaged, damage_reason) -> Inspection:
    """Every unit of a return is inspected at once: restocked + damaged = returned; damage needs its reason."""
    restocked = quantity(restocked, "restocked", allow_zero=True)
    damaged = quantity(damaged, "damaged", allow_zero=True)
    damage_reason = text(damage_reason, "damage_reason", 200, required=damaged > 0)
    if damaged == 0 and damage_reason is not None:
        raise InvalidInput("a damage reason without damaged units", field="damage_reason",
                           message_code="receipt_reason_without_quantity", params={"field": "damaged"})
    if restocked + damaged != returned:
        raise InvalidInput(
            f"{ref}: {returned} units came back; restocked ({restocked}) and damaged ({damaged}) must add up to them",
            field="restocked", message_code="inspection_must_cover_return",
            params={"reference": ref, "quantity": returned, "restocked": restocked, "damaged": damaged})
    return Inspection(restocked, damaged, damage_reason)

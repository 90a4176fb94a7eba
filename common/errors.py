"""Domain errors. Raised deep inside, turned into HTTP answers in one place (``common.http``).

Each carries a message a person can act on and, where it helps, the field it is about.
"""


class DomainError(Exception):
    status = 409
    code = "conflict"

    def __init__(self, message: str, *, field: str | None = None, **details):
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details


class InvalidInput(DomainError):
    """A value breaks a rule of its own (negative quantity, unknown code, bad date)."""

    status = 422
    code = "invalid"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class InsufficientStock(DomainError):
    code = "insufficient_stock"


class LotExpired(DomainError):
    code = "lot_expired"


class WrongDepot(DomainError):
    code = "wrong_depot"


class TierRuleBroken(DomainError):
    code = "tier_rule"


class IdempotencyKeyReused(DomainError):
    code = "idempotency_key_reused"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class NotYourDepot(Forbidden):
    code = "not_your_depot"


class ReadOnlyRole(Forbidden):
    code = "read_only"

"""Domain errors. Raised deep inside, turned into HTTP answers in one place (``common.http``).

Each carries a message a person can act on and, where it helps, the field it is about. ``code`` is the
kind of error (``invalid``, ``not_found``…). Where a page must say the same thing in another language,
the error also carries ``message_code``, a stable name of the message (``level_unchanged``), and
``params``, the plain values the message names ({"level": "II"}); the English ``message`` stays the
fallback and what the JSON API shows, next to both.
"""


class DomainError(Exception):
    status = 409
    code = "conflict"

    def __init__(self, message: str, *, field: str | None = None, message_code: str | None = None,
                 params: dict | None = None, **details):
        super().__init__(message)
        self.message = message
        self.field = field
        self.message_code = message_code
        self.params = dict(params or {})
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


class TooMuchStock(DomainError):
    """A change would take a balance past the most a lot may hold (common.limits.MAX_QUANTITY)."""

    code = "too_much_stock"


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

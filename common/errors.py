"""Domain errors. Raised deep inside, turned into HTTP answers in one place (``common.http``).

Each carries a message a person can act on and, where it helps, the field it is about. ``code`` is the
kind of error (``invalid``, ``not_found``…). Where a page must say the same thing in another language,
the error also carries ``message_code``, a stable name of the message (``level_unchanged``), and
``params``, the plain values the message names ({"level": "II"}); the English ``message`` stays the
fallback and what the JSON API shows, next to both.
"""
import math


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


class BadQuery(InvalidInput):
    """A query argument of a page (a filter, a page number) that cannot be read: 400, naming the argument."""

    status = 400
    code = "bad_query"


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


class CountSessionOpen(DomainError):
    """A direct count of a lot that an open count session (盘点单) counts: it is counted in that session."""

    code = "count_session_open"


class IdempotencyKeyReused(DomainError):
    code = "idempotency_key_reused"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class NotYourDepot(Forbidden):
    code = "not_your_depot"


class ReadOnlyRole(Forbidden):
    code = "read_only"


MAX_PROBLEMS = 100  # problems named in one answer; the rest are counted ("and N more")


class Problems:
    """The problems of a list of lines (a file's rows, a text box's lines, a JSON list), collected so that
    one answer names every bad line at once instead of the first. A service checks every line, ``add``s each
    refusal (or wraps a check in ``check``), and at the end ``raise_any`` raises one error carrying them all
    — before anything is written. One problem is raised as the error it is (its own status and code), with
    the list beside it; several as a 422 ``invalid`` with ``message_code`` ``lines_invalid`` (a 409
    ``conflict`` when each of them is a 409). The answer's ``problems`` (at most ``MAX_PROBLEMS``, each with
    ``line`` where the input has lines, ``field``, ``column``, ``value``, ``code``, ``message``,
    ``message_code``, ``params``) and ``problems_more`` (how many more there were) go out through
    ``common.http`` like any detail of an error."""

    def __init__(self, limit: int = MAX_PROBLEMS):
        self.limit = limit
        self.count = 0
        self.items: list[dict] = []
        self.first: DomainError | None = None
        self.statuses: set[int] = set()

    def __bool__(self) -> bool:
        return self.count > 0

    def add(self, error: DomainError, *, line: int | None = None, column: str | None = None, value=None) -> None:
        self.count += 1
        self.first = self.first or error
        self.statuses.add(error.status)
        if len(self.items) >= self.limit:
            return
        problem = {"line": line, "field": error.field, "column": column,
                   "value": value if value is None or isinstance(value, (str, int)) or
                   (isinstance(value, float) and math.isfinite(value)) else str(value),
                   "code": error.code, "message": error.message, "message_code": error.message_code,
                   "params": error.params or None}
        self.items.append({k: v for k, v in problem.items() if v is not None})

    def check(self, fn, *args, line: int | None = None, column: str | None = None, value=None, **kwargs):
        """``fn(*args, **kwargs)``, or None with its refusal added (403s are not a line's problem: raised)."""
        try:
            return fn(*args, **kwargs)
        except DomainError as e:
            if e.status == 403:
                raise
            self.add(e, line=line, column=column, value=value)
            return None

    def raise_any(self, field: str, what: str = "lines") -> None:
        if not self.count:
            return
        more = self.count - len(self.items)
        items = self.items
        if all("line" in p for p in items):  # in the order of the lines, whichever check found them
            items = sorted(items, key=lambda p: p["line"])
        details = {"problems": items, "problems_more": more or None}
        if self.count == 1:
            e = self.first
            e.details = {**e.details, **details}
            raise e
        shown = "; ".join(p["message"] for p in self.items[:5]) + ("; …" if self.count > 5 else "")
        # every line breaking a rule of the state (not of its own values) is a conflict; otherwise invalid
        kind = DomainError if self.statuses == {409} else InvalidInput
        raise kind(f"{self.count} problems in {what}; nothing was saved: {shown}", field=field,
                   message_code="lines_invalid", params={"count": self.count}, **details)

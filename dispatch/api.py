"""JSON API of the dispatch work under /api/v1."""
from flask import request

from accounts.auth import require_actor
from common.actor import ADMIN, AUDITOR, DISPATCHER
from common.api import Blueprint
from common.errors import InvalidInput
from dispatch import allocator

blp = Blueprint("dispatch_api", __name__, url_prefix="/api/v1", description="Allocation plans")


class ProblemRejected(InvalidInput):
    """A problem document that breaks the contract: 422 with every broken row."""


@blp.route("/allocation/solve", methods=["POST"])
def solve():
    """Solve an allocation problem (format allocation-problem/1) and return its plan.

    The body is the problem document itself (see the allocation contract). A document that breaks
    the rules is a 422 listing each broken row as `fields` (path → reason)."""
    require_actor().require_role(ADMIN, DISPATCHER, AUDITOR)
    doc = request.get_json(silent=True)
    if doc is None:
        raise InvalidInput("the body must be an allocation-problem/1 JSON document", field="body")
    try:
        return allocator.allocate(doc)
    except allocator.ProblemError as e:
        fields = {error["path"]: error["message"] for error in e.errors}
        raise ProblemRejected(f"not a valid allocation problem: {len(e.errors)} error(s)", fields=fields)

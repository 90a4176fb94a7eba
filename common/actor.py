"""Who is acting, as a plain value, and what they may touch.

Services receive an ``Actor`` instead of a web session, so the same rules hold for the JSON API,
the HTML pages, the CLI and the importers.
"""
from dataclasses import dataclass, field

from common.errors import Forbidden, NotYourDepot, ReadOnlyRole

ADMIN, DISPATCHER, KEEPER, AUDITOR = "admin", "dispatcher", "keeper", "auditor"
ROLES = (ADMIN, DISPATCHER, KEEPER, AUDITOR)


@dataclass(frozen=True)
class Actor:
    user_id: int
    username: str
    role: str
    depot_ids: frozenset[int] = field(default_factory=frozenset)
    # A login after an administrator's password reset: pages send them to change it (accounts.views).
    must_change_password: bool = False

    @property
    def reads_everything(self) -> bool:
        return self.role in (ADMIN, DISPATCHER, AUDITOR)

    def can_read_depot(self, depot_id: int) -> bool:
        return self.reads_everything or depot_id in self.depot_ids

    def require_read_depot(self, depot_id: int, depot_code: str = "") -> None:
        if not self.can_read_depot(depot_id):
            raise NotYourDepot(f"depot {depot_code or depot_id} is not one you keep",
                               message_code="depot_not_kept", params={"depot": str(depot_code or depot_id)})

    def require_stock_change(self, depot_id: int, depot_code: str = "") -> None:
        """Only administrators and the keepers of a depot change its stock."""
        if self.role == ADMIN:
            return
        if self.role == KEEPER:
            if depot_id not in self.depot_ids:
                raise NotYourDepot(
                    f"you do not keep depot {depot_code or depot_id}; a keeper records stock only for their own depots",
                    message_code="depot_not_kept_for_stock", params={"depot": str(depot_code or depot_id)},
                )
            return
        if self.role == AUDITOR:
            raise ReadOnlyRole("auditors read and export; they cannot change stock", message_code="auditor_reads_only")
        raise Forbidden(f"role {self.role} cannot record stock movements directly")

    def require_role(self, *roles: str) -> None:
        if self.role not in roles:
            if self.role == AUDITOR:
                raise ReadOnlyRole("auditors read and export; they cannot change anything",
                                   message_code="auditor_reads_only")
            raise Forbidden(f"this needs the role {' or '.join(roles)}; you are {self.role}")


"""The words of the people pages and the security log: the change log's actions and the account services' error messages by their
message code (``accounts.admin``), registered for pages by ``accounts.admin_views``."""
from flask_babel import lazy_gettext as _l

# "<kind>.<action>" of the change log (accounts.models.AdminChange)
CHANGE_ACTIONS = {
    "user.created": _l("Account created"),
    "user.renamed": _l("Display name changed"),
    "user.role_changed": _l("Role changed"),
    "user.depots_bound": _l("Depots bound"),
    "user.depots_unbound": _l("Depots unbound"),
    "user.deactivated": _l("Deactivated"),
    "user.reactivated": _l("Reactivated"),
    "user.password_reset": _l("Password reset"),
    "user.totp_reset": _l("Two-step verification reset"),
    "user.unlocked": _l("Unlocked after failed logins"),
    "depot.created": _l("Depot added"),
    "depot.renamed": _l("Depot renamed"),
    "depot.moved": _l("Depot moved"),
    "depot.closed": _l("Depot closed"),
    "item.created": _l("Item added"),
    "item.edited": _l("Item edited"),
    "item.deleted": _l("Item deleted"),
    "depot.alias_chosen": _l("Register name matched"),
    "item.alias_chosen": _l("Register name matched"),
    "item.alias_new": _l("Register name: new item"),
    "depot.alias_forgotten": _l("Register name forgotten"),
    "item.alias_forgotten": _l("Register name forgotten"),
}

ERROR_MESSAGES = {
    "password_too_short": _l("The password must be at least %(min)s characters."),
    "password_too_long": _l("The password is at most %(max)s characters."),
    "password_is_username": _l("The password cannot contain the username."),
    "password_too_simple": _l("The password must mix at least %(n)s of: lower-case letters, capitals, digits, other characters."),
    "password_reused": _l("This password was used recently: choose one not among your last %(n)s."),
    "password_change_required": _l("Change your password first."),
    "login_refused": _l("Wrong username or password, or too many failed attempts: try again later."),
    "password_wrong": _l("The current password is wrong."),
    "password_unchanged": _l("The new password must differ from the current one."),
    "user_unknown": _l("There is no user %(username)s."),
    "depot_unknown_code": _l("There is no depot with the code %(codes)s."),
    "role_unknown": _l("There is no role “%(role)s”."),
    "keeper_needs_depot": _l("A depot keeper keeps at least one depot: choose one."),
    "depots_only_for_keepers": _l("Only depot keepers are bound to depots: clear the depots or choose the keeper role."),
    "username_bad": _l("The username is 1 to %(max)s characters, without spaces."),
    "username_taken": _l("The username %(username)s is taken."),
    "display_name_too_long": _l("The display name is at most %(max)s characters."),
    "cannot_demote_self": _l("You cannot take the administrator role from yourself."),
    "cannot_deactivate_self": _l("You cannot deactivate your own account."),
    "totp_already_on": _l("Two-step verification is already on; an administrator resets it if the phone is lost."),
    "totp_not_begun": _l("Set up two-step verification first."),
    "totp_enrolment_required": _l("Your role must use two-step verification. Set it up before you go on."),
    "totp_missing": _l("This account has two-step verification: give the code of the authenticator app."),
    "totp_wrong": _l("The code does not match: check the phone's clock and type the code the app shows now."),
}

# kinds and outcomes of the security log (accounts.security)
SECURITY_KINDS = {
    "login": _l("Login"),
    "logout": _l("Logout"),
    "timeout": _l("Session timed out"),
    "lock": _l("Locked after failed logins"),
    "unlock": _l("Unlocked"),
    "password_change": _l("Password changed"),
    "password_reset": _l("Password reset"),
    "role_change": _l("Role changed"),
    "depot_binding": _l("Depot bindings changed"),
    "account": _l("Account created or (de)activated"),
    "token_create": _l("Token issued"),
    "token_revoke": _l("Token revoked"),
    "rule_change": _l("Planning rule or norm changed"),
    "approval": _l("Approval"),
    "export": _l("Export"),
    "pruned": _l("Old entries removed"),
    "second_factor": _l("Two-step verification"),
}
SECURITY_OUTCOMES = {
    "success": _l("Succeeded"),
    "failure": _l("Failed"),
    "refused": _l("Refused"),
    "locked": _l("Locked"),
}

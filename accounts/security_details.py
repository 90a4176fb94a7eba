"""What a security event's detail says, as a message with values: the event keeps its code and values
(``detail_code``, ``detail_params``, covered by its hash) and the security log shows it in the reader's language;
``detail`` keeps the same words in English, as every event recorded before had them.

Messages and the words some values stand for are marked with ``N_`` (one of Babel's default keywords, so the
catalog extraction finds them) and translated only when shown."""
import json

from flask_babel import gettext


def N_(text: str) -> str:
    return text


MESSAGES = {
    "login": N_("%(via)s"),
    "login_failed": N_("%(via)s: %(why)s"),
    "login_demo_password": N_("%(via)s: demo password outside the demo"),
    "login_while_locked": N_("%(via)s: %(which)s locked"),
    "locked_until": N_("%(scope)s locked until %(until)s"),
    "unlock_account": N_("account %(user)s"),
    "unlock_address": N_("address %(address)s"),
    "session_ended": N_("session ended: %(why)s"),
    "session_limit": N_("session ended: more than %(limit)s logins at once"),
    "signed_out_everywhere": N_("signed out everywhere: %(user)s; %(tokens)s tokens revoked"),
    "token": N_("token %(name)s"),
    "token_replacing": N_("token %(name)s; %(earlier)s earlier revoked"),
    "token_of": N_("token %(name)s of %(owner)s"),
    "second_factor_used": N_("%(via)s: %(what)s"),
    "second_factor_enrolled": N_("enrolled"),
    "second_factor_reset": N_("reset for %(user)s"),
    "account_created": N_("created %(user)s (%(role)s)"),
    "account_created_depots": N_("created %(user)s (%(role)s): %(depots)s"),
    "account_reactivated": N_("reactivated %(user)s"),
    "account_deactivated": N_("deactivated %(user)s"),
    "role_changed": N_("%(user)s: %(old)s → %(new)s"),
    "depots_changed": N_("%(user)s: + %(added)s; − %(removed)s"),
    "password_reset": N_("reset %(user)s"),
    "password_wrong": N_("the current password was wrong"),
    "plan_approved": N_("plan %(plan)s of incident %(incident)s approved: orders %(orders)s"),
    "transfer_request_approved": N_("transfer request %(request)s approved: order %(order)s"),
    "write_off_approved": N_("write-off %(request)s approved: %(lot)s × %(quantity)s, %(document)s"),
    "write_off_rejected": N_("write-off %(request)s rejected"),
    "planning_settings": N_("planning settings: %(changes)s"),
    "response_levels": N_("response levels: %(levels)s"),
    "norms_replaced": N_("norms replaced: version %(version)s, %(items)s items"),
    "norm_set": N_("norm of %(item)s set: version %(version)s"),
    "norm_removed": N_("norm of %(item)s removed: version %(version)s"),
    "norms_restored": N_("norms restored from version %(old)s: version %(version)s"),
    "floor_set": N_("reserve floor %(depot)s %(item)s = %(quantity)s"),
    "floors_imported": N_("reserve floors imported: %(rows)s rows"),
    "report_export": N_("%(report)s %(format)s (%(how)s); filters: %(filters)s"),
    "problem_export": N_("%(file)s (direct)"),
    "waybill_pdf": N_("waybill %(order)s pdf"),
    "count_variance_pdf": N_("count variance %(count)s pdf (direct)"),
    "donation_acknowledgement_pdf": N_("donation acknowledgement %(number)s pdf"),
    "security_log_export": N_("security log CSV, %(rows)s rows; filters: %(filters)s"),
}

# Values of these parameters are words of their own, translated too (any other value is shown as it is).
_SCOPES = {"account": N_("account"), "address": N_("address"), "account and address": N_("account and address")}
_ROLES = {"admin": N_("Administrator"), "dispatcher": N_("Dispatcher"), "keeper": N_("Depot keeper"),
          "auditor": N_("Auditor")}
WORDS = {
    "via": {"page": N_("login page"), "token": N_("API token request")},
    "why": {"unknown user": N_("unknown user"), "deactivated": N_("account deactivated"),
            "wrong password": N_("wrong password"), "idle": N_("idle too long"),
            "lifetime": N_("longest login time reached"), "elsewhere": N_("logged in on another device")},
    "which": _SCOPES,
    "scope": _SCOPES,
    "what": {"code": N_("code from the app"), "recovery code": N_("recovery code")},
    "how": {"direct": N_("direct"), "background job": N_("background job")},
    "filters": {"none": N_("none")},
    "report": {"expiry": N_("Expiry report"), "rotation": N_("Rotation plan"),
               "sufficiency": N_("Reserve sufficiency"), "stock-card": N_("Stock card"),
               "ledger": N_("Movement ledger"), "write-offs": N_("Write-off register")},
    "role": _ROLES,
    "old": _ROLES,
    "new": _ROLES,
}


def english(code: str, params: dict) -> str:
    """The message in English, as ``detail`` keeps it."""
    return MESSAGES[code] % params


def stored_params(params: dict) -> str:
    return json.dumps(params, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def shown(row: dict) -> str | None:
    """An event's detail in the language of the request: its message translated, with its values (words among
    them translated too); an event with no message (recorded before messages, or a prune's JSON) as recorded."""
    code = row.get("detail_code")
    if not code or code not in MESSAGES:
        return row.get("detail")
    try:
        params = json.loads(row.get("detail_params") or "{}")
        words = {k: gettext(WORDS[k][v]) if k in WORDS and v in WORDS[k] else v for k, v in params.items()}
        return gettext(MESSAGES[code]) % words
    except (ValueError, KeyError, TypeError):
        return row.get("detail")

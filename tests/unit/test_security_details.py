"""Security event messages (accounts/security_details.py): the English words are what the call sites wrote
before messages (so a reader of older and newer rows sees one language), every message and word has its
Chinese, keeping its placeholders, and a row without a message, or with one that cannot be read, shows its words."""
from babel.messages.pofile import read_po
from flask import Flask
from flask_babel import Babel, force_locale

from accounts import security_details as details

SAMPLES = {  # code: (values, detail as recorded, shown in English, shown in Chinese)
    "login_failed": ({"via": "page", "why": "wrong password"}, "page: wrong password",
                     "login page: wrong password", "登录页面：密码错误"),
    "locked_until": ({"scope": "account", "until": "2026-07-01T02:15:00.000000Z"},
                     "account locked until 2026-07-01T02:15:00.000000Z",
                     "account locked until 2026-07-01T02:15:00.000000Z", "账号锁定至 2026-07-01T02:15:00.000000Z"),
    "plan_approved": ({"plan": 1, "incident": 2, "orders": "DO-2-1, DO-2-2"},
                      "plan 1 of incident 2 approved: orders DO-2-1, DO-2-2",
                      "plan 1 of incident 2 approved: orders DO-2-1, DO-2-2",
                      "灾情 2 的方案 1 已审批：调拨单 DO-2-1, DO-2-2"),
    "report_export": ({"report": "ledger", "format": "csv", "how": "direct", "filters": "none"},
                      "ledger csv (direct); filters: none", "Movement ledger csv (direct); filters: none",
                      "出入库台账 csv（直接导出）；筛选：无"),
    "role_changed": ({"user": "zhao", "old": "keeper", "new": "auditor"}, "zhao: keeper → auditor",
                     "zhao: Depot keeper → Auditor", "zhao：仓管员 → 审计员"),
    "second_factor_enrolled": ({}, "enrolled", "enrolled", "已开启"),
}


def _app() -> Flask:
    app = Flask(__name__)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(__import__("pathlib").Path(__file__).parents[2] / "translations")
    Babel(app)
    return app


def test_the_english_words_and_the_chinese_shown_for_sample_messages():
    app = _app()
    for code, (params, recorded, english, chinese) in SAMPLES.items():
        assert details.english(code, params) == recorded
        row = {"detail": recorded, "detail_code": code, "detail_params": details.stored_params(params)}
        with app.test_request_context(), force_locale("zh_Hans_CN"):
            assert details.shown(row) == chinese
        with app.test_request_context(), force_locale("en"):
            assert details.shown(row) == english


def test_every_message_and_word_is_translated_keeping_its_placeholders():
    from pathlib import Path

    with open(Path(__file__).parents[2] / "translations/zh_Hans_CN/LC_MESSAGES/messages.po", "rb") as f:
        po = read_po(f)
    wanted = list(details.MESSAGES.values()) + [w for words in details.WORDS.values() for w in words.values()]
    for msgid in wanted:
        found = po.get(msgid)
        assert found is not None and found.string, msgid
        for placeholder in __import__("re").findall(r"%\(\w+\)s", msgid):
            assert placeholder in found.string, (msgid, found.string)


def test_a_row_without_a_message_or_with_a_broken_one_shows_its_words():
    app = _app()
    with app.test_request_context(), force_locale("zh_Hans_CN"):
        assert details.shown({"detail": "ledger csv (direct)", "detail_code": None}) == "ledger csv (direct)"
        assert details.shown({"detail": "x", "detail_code": "login_failed", "detail_params": "{not json"}) == "x"
        assert details.shown({"detail": "y", "detail_code": "login_failed", "detail_params": "{}"}) == "y"
        assert details.shown({"detail": "z", "detail_code": "no_such_message"}) == "z"

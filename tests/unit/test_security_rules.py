"""The password rules (accounts.passwords), the lock arithmetic (accounts.login_protection) and the security log's hash
(accounts.security), without a database."""
from datetime import datetime, timedelta, timezone

import pytest

from accounts.login_protection import LoginRules, _locked_until
from accounts.passwords import PasswordRules, check_password, classes
from accounts.security import event_hash
from common.errors import InvalidInput

T = datetime(2026, 7, 1, 2, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("password, code", [
    ("Ab1-short", "password_too_short"),
    ("alllowercaseletters", "password_too_simple"),
    ("lowercase123456", "password_too_simple"),
    ("Zhang-San-2026", "password_is_username"),
    ("x" * 201, "password_too_long"),
])
def test_a_password_breaking_a_rule_is_refused_naming_the_rule(password, code):
    with pytest.raises(InvalidInput) as e:
        check_password(password, "zhang", PasswordRules())
    assert e.value.message_code == code and e.value.field == "password"


@pytest.mark.parametrize("password", ["Lower-upper1", "lower-case-123", "UPPER lower 42", "长密码长密码长密码长密码1a"])
def test_three_classes_of_four_and_ten_characters_pass(password):
    check_password(password, "zhang", PasswordRules())


def test_the_classes_are_counted():
    assert [classes(p) for p in ("abc", "aB", "aB1", "aB1!", "中文1")] == [1, 2, 3, 4, 2]


def test_the_rules_follow_the_settings():
    check_password("abcd", "zhang", PasswordRules(min_length=4, min_classes=1))
    with pytest.raises(InvalidInput):
        check_password("abcd", "zhang", PasswordRules(min_length=5, min_classes=1))


def test_five_failures_within_the_window_lock_for_the_lock_time_from_the_fifth():
    rules = LoginRules()
    times = [T + timedelta(minutes=3 * i) for i in range(5)]  # 12 minutes from the first to the fifth
    assert _locked_until(times, 5, rules) == times[-1] + timedelta(minutes=15)
    assert _locked_until(times[:4], 5, rules) is None
    spread = [T + timedelta(minutes=4 * i) for i in range(8)]  # never 5 within 15 minutes
    assert _locked_until(spread, 5, rules) is None


def test_an_events_hash_covers_every_field_and_the_row_before():
    row = {"at": T, "kind": "login", "outcome": "success", "username": "a", "address": "10.0.0.1", "detail": "page"}
    base = event_hash("0" * 64, row, None)
    assert event_hash("1" * 64, row, None) != base
    for field, other in (("kind", "logout"), ("outcome", "failure"), ("username", "b"), ("address", "10.0.0.2"),
                         ("detail", "token"), ("at", T + timedelta(microseconds=1))):
        assert event_hash("0" * 64, {**row, field: other}, None) != base, field
    assert event_hash("0" * 64, row, b"k" * 32) != base  # keyed: not to be recomputed without the key

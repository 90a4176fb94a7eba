"""Codes of lots, depots, items and shelters go into QR labels and URL paths (/l/<code>, /lots/<code>):
ASCII letters, digits, '-', '_' and '.', starting with a letter or digit. A '/' would split the path,
'?' or '#' end it, a space or Chinese need escaping that scanners and people get wrong."""
import re

from common.errors import InvalidInput

CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
CODE_RULE = "a code may hold only ASCII letters, digits, '-', '_' and '.', and starts with a letter or digit"
_CODE = re.compile(CODE_PATTERN)


def check_code(code, field: str = "code", max_length: int = 32) -> str:
    """The code, or the 422 naming ``field`` and the characters a code may hold."""
    if not isinstance(code, str) or not 1 <= len(code) <= max_length or not _CODE.fullmatch(code):
        raise InvalidInput(f"{field}: {CODE_RULE}, 1 to {max_length} characters; got {code!r}", field=field,
                           message_code="code_characters", params={"field": field, "max": max_length})
    return code

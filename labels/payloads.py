"""What a QR label carries: an ASCII URL a phone's own camera app can open (contract in DESIGN.md).

    <base>/l/<lot code>              a lot
    <base>/d/<depot code>            a depot
    <base>/d/<depot code>?shelf=A-03 a shelf in a depot (a shelf is not a record of its own: scanning it
                                     lands on the depot, and the shelf rides along for the scanning page)
    <base>/o/<order code>            a transfer order

Chinese is printed beside the code, never inside it: scanners differ on charsets without an ECI marker.
Everything here is pure (no Flask, no database) so the same functions serve the pages, the sheets and
the tests.

Codes stored in the database are free text (the API takes any lot code up to 48 characters), so a
code is never refused for printing: characters outside RFC 3986's unreserved set (A–Z a–z 0–9 - . _ ~)
are percent-encoded, which keeps the payload ASCII and opens the same code again. Codes made by the app
(``L3F9A0C21B7``, ``T05-V12``) need no encoding. A base URL with a Chinese host name is written in
punycode (IDNA) for the same reason.
"""
import re
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from common.errors import InvalidInput, Problems
from inventory.shelves import MAX_SHELF_LENGTH, SHELF_PATTERN  # the shelf code rule, shared with lots

# Longest code each kind may have (the columns' lengths): a longer one cannot be ours.
MAX_CODE_LENGTH = {"lot": 48, "depot": 32, "order": 48}
PREFIXES = {"lot": "l", "depot": "d", "order": "o"}
KIND_NAMES = {"lot": "lot", "depot": "depot", "order": "transfer order"}

MAX_SHELVES = 480  # 20 A4 sheets of shelf labels in one request

UNRESERVED = "-._~"  # with letters and digits: left as they are by quote(..., safe=UNRESERVED)


class InvalidCode(InvalidInput):
    """A scanned or typed code that cannot be one of ours (422)."""

    code = "invalid_code"


@dataclass(frozen=True)
class Scanned:
    """What a label URL points at."""

    kind: str  # lot / depot / order
    code: str
    shelf: str | None = None


# ---------------------------------------------------------------- building payloads


def normalise_base(base: str) -> str:
    """The base URL as pure ASCII, without a trailing slash. ``https://应急.example.cn/app/`` →
    ``https://xn--extu8a.example.cn/app``. Only http and https: a phone camera opens nothing else."""
    if not isinstance(base, str) or not base.strip():
        raise ValueError("BASE_URL is empty; set it to the address phones reach the app at, e.g. https://depot.example.gov.cn")
    parts = urlsplit(base.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError(f"BASE_URL must be an http:// or https:// address with a host name, got {base!r}")
    if parts.query or parts.fragment:
        raise ValueError(f"BASE_URL cannot have a query or fragment, got {base!r}")
    host = parts.hostname.encode("idna").decode("ascii")
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    path = quote(unquote(parts.path), safe="/" + UNRESERVED).rstrip("/")
    return urlunsplit((parts.scheme.lower(), netloc, path, "", ""))


def _encoded(code: str, kind: str) -> str:
    check_code(code, kind)
    return quote(code, safe=UNRESERVED)


def lot_url(base: str, code: str) -> str:
    return f"{normalise_base(base)}/l/{_encoded(code, 'lot')}"


def depot_url(base: str, code: str) -> str:
    return f"{normalise_base(base)}/d/{_encoded(code, 'depot')}"


def shelf_url(base: str, depot_code: str, shelf: str) -> str:
    return f"{depot_url(base, depot_code)}?shelf={check_shelf(shelf)}"


def order_url(base: str, code: str) -> str:
    return f"{normalise_base(base)}/o/{_encoded(code, 'order')}"


# ---------------------------------------------------------------- checking codes


def check_code(code: str, kind: str) -> str:
    """Returns the code if it can be a code of this kind; otherwise raises InvalidCode with the reason.
    Any printable text of the right length is accepted (codes in the database are free text); what is
    refused is empty, too long, or holds control or invisible characters or surrounding spaces —
    signs of a damaged scan or a code that is not ours."""
    name = KIND_NAMES[kind]
    if not isinstance(code, str) or code == "":
        raise InvalidCode(f"the {name} code is empty", field="code")
    limit = MAX_CODE_LENGTH[kind]
    if len(code) > limit:
        raise InvalidCode(f"a {name} code has at most {limit} characters; this one has {len(code)}", field="code")
    if code != code.strip():
        raise InvalidCode(f"the {name} code {code!r} begins or ends with a space", field="code")
    if not code.isprintable():
        raise InvalidCode(f"the {name} code {code!r} holds control or invisible characters", field="code")
    return code


def is_plain_code(code: str) -> bool:
    """True when the code goes into a URL as it is (only unreserved ASCII characters)."""
    return quote(code, safe=UNRESERVED) == code


def check_shelf(shelf: str) -> str:
    """A shelf number, upper-cased: ``a-03`` → ``A-03``. Raises InvalidCode when it is not one."""
    if not isinstance(shelf, str) or not shelf.strip():
        raise InvalidCode("the shelf number is empty", field="shelf", message_code="shelf_empty")
    value = shelf.strip().upper()
    if len(value) > MAX_SHELF_LENGTH or not SHELF_PATTERN.fullmatch(value):
        raise InvalidCode(
            f"{shelf!r} is not a shelf number: use letters A–Z and digits, parts joined by single hyphens "
            f"(for example A-03), at most {MAX_SHELF_LENGTH} characters", field="shelf", message_code="shelf_invalid",
            params={"shelf": shelf, "max": MAX_SHELF_LENGTH})
    return value


def parse_shelves(text: str) -> list[str]:
    """Shelf numbers typed as a list: separated by commas, spaces or new lines (also 、 and ，), with
    ranges whose last part counts up: ``A-01~A-12`` or ``A-01..A-12`` (the width of the number is kept).
    Duplicates are dropped, order kept. Every bad number or range is named at once (``Problems``)."""
    shelves: list[str] = []
    problems = Problems()
    for token in (t for t in re.split(r"[\s,，、;；]+", text or "") if t):
        parts = re.split(r"~|\.\.", token)
        if len(parts) == 1:
            shelf = problems.check(check_shelf, token, column="shelves", value=token)
            shelves.extend([shelf] if shelf else [])
        elif len(parts) == 2:
            shelves.extend(problems.check(_shelf_range, *parts, column="shelves", value=token) or [])
        else:
            problems.add(InvalidCode(f"{token!r} is not a shelf range: write it as A-01~A-12", field="shelves",
                                     message_code="shelf_range_invalid", params={"token": token}),
                         column="shelves", value=token)
        if len(shelves) > MAX_SHELVES:
            raise InvalidCode(f"at most {MAX_SHELVES} shelf labels in one print", field="shelves",
                              message_code="shelf_labels_too_many", params={"max": MAX_SHELVES})
    problems.raise_any("shelves", "the shelf numbers")
    if not shelves:
        raise InvalidCode("name at least one shelf, e.g. A-01, A-02 or A-01~A-12", field="shelves",
                          message_code="shelves_none")
    return list(dict.fromkeys(shelves))


def _shelf_range(first: str, last: str) -> list[str]:
    first, last = check_shelf(first), check_shelf(last)
    a = re.fullmatch(r"(.*?)(\d+)", first)
    b = re.fullmatch(r"(.*?)(\d+)", last)
    if not a or not b or a.group(1) != b.group(1):
        raise InvalidCode(f"the range {first}~{last} must differ only in its last number, like A-01~A-12",
                          field="shelves", message_code="shelf_range_mismatch", params={"first": first, "last": last})
    start, stop = int(a.group(2)), int(b.group(2))
    if stop < start:
        raise InvalidCode(f"the range {first}~{last} counts down; write the smaller number first", field="shelves",
                          message_code="shelf_range_down", params={"first": first, "last": last})
    if stop - start + 1 > MAX_SHELVES:
        raise InvalidCode(f"at most {MAX_SHELVES} shelf labels in one print", field="shelves",
                          message_code="shelf_labels_too_many", params={"max": MAX_SHELVES})
    width = len(a.group(2))
    return [check_shelf(f"{a.group(1)}{n:0{width}d}") for n in range(start, stop + 1)]


# ---------------------------------------------------------------- reading payloads back


def parse_url(url: str, base: str | None = None) -> Scanned:
    """The inverse of the builders: what a label URL (or its path) points at. With ``base`` given, a
    URL of another installation is refused. Raises InvalidCode for anything that is not a label URL."""
    if not isinstance(url, str) or not url.strip():
        raise InvalidCode("nothing was scanned", field="code")
    if not url.isascii():
        raise InvalidCode("a label URL is ASCII only; this text is not one of our labels", field="code")
    parts = urlsplit(url.strip())
    path = parts.path
    if base is not None and parts.scheme:
        ours = urlsplit(normalise_base(base))
        if (parts.scheme.lower(), (parts.netloc or "").lower()) != (ours.scheme, ours.netloc.lower()) \
                or not path.startswith(ours.path + "/"):
            raise InvalidCode(f"{url} is not a label of this installation ({normalise_base(base)})", field="code")
        path = path[len(ours.path):]
    match = re.fullmatch(r"/([ldo])/([^/]+)", path)
    if not match:
        raise InvalidCode(f"{url} is not a label URL (/l/, /d/ or /o/ followed by a code)", field="code")
    kind = {v: k for k, v in PREFIXES.items()}[match.group(1)]
    code = check_code(unquote(match.group(2)), kind)
    shelf = None
    if parts.query:
        query = dict(p.partition("=")[::2] for p in parts.query.split("&"))
        if kind != "depot" or set(query) != {"shelf"}:
            raise InvalidCode(f"{url} carries an unexpected query", field="code")
        shelf = check_shelf(unquote(query["shelf"]))
    return Scanned(kind, code, shelf)

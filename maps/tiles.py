"""The map's tile server: a URL template ({z}/{x}/{y}), its attribution and, optionally, a second template for a
label layer drawn over the first (天地图 serves place names apart: cva_w over vec_w), set by an administrator and
kept in the ``setting`` table (key → JSON). With no URL the map draws on a plain background (no tile layer)."""
import json
import re
from dataclasses import asdict, dataclass
from urllib.parse import urlsplit

from sqlmodel import Session

from common.actor import ADMIN, Actor
from common.db import UnitOfWork
from common.errors import InvalidInput, Problems
from dispatch.models import Setting

URL_KEY, ATTRIBUTION_KEY, LABELS_KEY = "map_tile_url", "map_tile_attribution", "map_tile_labels_url"
KEYS = (("url", URL_KEY), ("attribution", ATTRIBUTION_KEY), ("labels_url", LABELS_KEY))
MAX_URL = 500
MAX_ATTRIBUTION = 200
PLACEHOLDERS = ("{z}", "{x}", "{y}")


@dataclass(frozen=True)
class TileSettings:
    url: str = ""  # empty: no tile layer
    attribution: str = ""
    labels_url: str = ""  # empty: no label layer


def check(url: str, attribution: str, labels_url: str = "") -> TileSettings:
    """The settings as they would be stored (trimmed), or ``Problems`` naming each field and why: each URL is
    empty or an http(s) address with a host holding {z}, {x} and {y} and no other {…}; a URL needs an
    attribution (tile servers ask to be named), plain text; a label layer needs the tiles it is drawn over."""
    url, attribution, labels_url = ((value or "").strip() for value in (url, attribution, labels_url))
    problems = Problems()
    for field, value in (("url", url), ("labels_url", labels_url)):
        if value:
            _check_template(problems, field, value)
    if labels_url and not url:
        _add(problems, "labels_url", "a label layer is drawn over tiles: give the tile URL too",
             "map_tile_labels_without_tiles")
    if url:
        if not attribution:
            _add(problems, "attribution", "a tile server is named on the map: give its attribution",
                         "map_tile_attribution_missing")
    if len(attribution) > MAX_ATTRIBUTION:
        _add(problems, "attribution", f"the attribution is at most {MAX_ATTRIBUTION} characters",
                     "map_tile_attribution_too_long", {"max": MAX_ATTRIBUTION})
    elif re.search(r"[<>]", attribution):
        _add(problems, "attribution", "the attribution is plain text, without < or >", "map_tile_attribution_markup")
    problems.raise_any("url", "the tile settings")
    return TileSettings(url, attribution, labels_url)


def _check_template(problems: Problems, field: str, url: str) -> None:
    parts = urlsplit(url) if len(url) <= MAX_URL and not re.search(r"\s", url) else None
    if parts is None and len(url) > MAX_URL:
        _add(problems, field, f"the tile URL is at most {MAX_URL} characters", "map_tile_url_too_long",
             {"max": MAX_URL})
    elif parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        _add(problems, field, "the tile URL is an http:// or https:// address with a server name",
             "map_tile_url_not_http")
    else:
        absent = [p for p in PLACEHOLDERS if p not in url]
        others = sorted(set(re.findall(r"\{[^}]*\}", url)) - set(PLACEHOLDERS))
        if absent:
            _add(problems, field, f"the tile URL lacks {', '.join(absent)}", "map_tile_url_placeholders",
                 {"missing": " ".join(absent)})
        elif others:
            _add(problems, field, f"the tile URL may hold only {{z}}, {{x}} and {{y}}, not {others[0]}",
                 "map_tile_url_other_placeholder", {"placeholder": others[0]})


def _add(problems: Problems, field: str, message: str, code: str, params: dict | None = None) -> None:
    problems.add(InvalidInput(message, field=field, message_code=code, params=params or {}))


def load(session: Session) -> TileSettings:
    rows = {key: session.get(Setting, key) for _, key in KEYS}
    return TileSettings(**{name: json.loads(rows[key].value) if rows[key] else "" for name, key in KEYS})


def read(engine) -> TileSettings:
    with Session(engine) as s:
        return load(s)


def save(engine, actor: Actor, url: str, attribution: str, labels_url: str = "") -> dict:
    """Checks and stores the tile settings (an empty URL takes the tile layer away); all or nothing."""
    actor.require_role(ADMIN)
    wanted = check(url, attribution, labels_url)
    with UnitOfWork(engine) as uow:
        for name, key in KEYS:
            value = getattr(wanted, name)
            row = uow.session.get(Setting, key) or Setting(key=key, value="")
            row.value = json.dumps(value, ensure_ascii=False)
            uow.session.add(row)
        uow.commit()
    return asdict(wanted)

"""CSV files in (affected sites, travel times), with the row and column of every error."""
import csv
import io

from sqlmodel import delete, select

from common.actor import ADMIN, Actor
from common.db import UnitOfWork
from common.errors import InvalidInput
from common.limits import MAX_INT
from dispatch.models import Shelter, TravelTime
from inventory.models import Depot

MAX_ROWS = 200_000


def read_csv(data: bytes, columns: tuple[str, ...]) -> list[dict]:
    """Rows as dicts; UTF-8 with or without BOM (Excel, WPS), header row required."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InvalidInput(f"the file is not UTF-8 text (byte {e.start}); save it as CSV UTF-8", field="file",
                           message_code="file_not_utf8", params={"byte": e.start})
    if "\x00" in text:  # not a text file (PostgreSQL could not even look its codes up)
        raise InvalidInput(f"the file holds a NUL character (byte {text.index(chr(0))}); save it as CSV UTF-8",
                           field="file", message_code="file_has_nul", params={"byte": text.index("\x00")})
    reader = csv.DictReader(io.StringIO(text, newline=""))  # the csv module reads line ends itself ("\r" too)
    try:
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            raise InvalidInput(f"the header row must name the columns {', '.join(columns)}; missing "
                               f"{', '.join(missing)}", field="file", message_code="file_header_missing",
                               params={"columns": ",".join(columns), "missing": ", ".join(missing)})
        rows = list(reader)
    except csv.Error as e:
        raise InvalidInput(f"the file cannot be read as CSV: line {reader.line_num}: {e}", field="file",
                           message_code="file_unreadable", params={"problem": f"line {reader.line_num}: {e}"})
    if not rows:
        raise InvalidInput("the file has a header but no rows", field="file", message_code="file_no_rows")
    if len(rows) > MAX_ROWS:
        raise InvalidInput(f"at most {MAX_ROWS:,} rows per file", field="file", message_code="file_too_many_rows",
                           params={"max": f"{MAX_ROWS:,}"})
    return rows


def whole_number(row: dict, column: str, line: int, low: int = 0) -> int:
    value = (row.get(column) or "").strip().replace(",", "")
    if not (value.isascii() and value.isdigit()) or int(value) < low:
        raise InvalidInput(f"row {line}, column {column}: {value!r} is not a whole number of {low} or more",
                           field=f"row {line}.{column}", message_code="file_not_whole_number",
                           params={"row": line, "column": column, "value": value, "low": low})
    if int(value) > MAX_INT:
        raise InvalidInput(f"row {line}, column {column}: {value} is more than {MAX_INT}", field=f"row {line}.{column}",
                           message_code="file_number_too_large",
                           params={"row": line, "column": column, "value": value, "max": MAX_INT})
    return int(value)


def known_depot(depots: dict[str, int], code: str, line: int) -> int:
    """The id of the depot a file's row names, or the error naming the row and the column."""
    if code not in depots:
        raise InvalidInput(f"row {line}, column depot: no depot with code {code!r}", field=f"row {line}.depot",
                           message_code="file_depot_unknown", params={"row": line, "depot": code})
    return depots[code]


def site_rows(data: bytes) -> list[dict]:
    """site,people → [{"site", "people"}]; row numbers count the header as row 1, as a spreadsheet does."""
    return [{"site": (row["site"] or "").strip(), "people": whole_number(row, "people", n)}
            for n, row in enumerate(read_csv(data, ("site", "people")), start=2)]


def import_travel_times(engine, actor: Actor, data: bytes, replace: bool = True) -> int:
    """depot,site,minutes: road-network minutes that override the estimate from coordinates (administrators,
    like the page /admin/travel)."""
    actor.require_role(ADMIN)
    rows = read_csv(data, ("depot", "site", "minutes"))
    with UnitOfWork(engine) as uow:
        s = uow.session
        depots = dict(s.exec(select(Depot.code, Depot.id)).all())
        sites = set(s.exec(select(Depot.code).where(Depot.tier == "village")).all()) | \
            set(s.exec(select(Shelter.code)).all())
        seen = set()
        parsed = []
        for n, row in enumerate(rows, start=2):
            depot, site = (row["depot"] or "").strip(), (row["site"] or "").strip()
            depot_id = known_depot(depots, depot, n)
            if site not in sites:
                raise InvalidInput(f"row {n}, column site: no village point or shelter {site!r}", field=f"row {n}.site",
                                   message_code="file_site_unknown", params={"row": n, "site": site})
            if (depot, site) in seen:
                raise InvalidInput(f"row {n}: {depot} → {site} appears twice", field=f"row {n}",
                                   message_code="file_route_twice", params={"row": n, "depot": depot, "site": site})
            seen.add((depot, site))
            parsed.append(TravelTime(depot_id=depot_id, site_code=site, minutes=whole_number(row, "minutes", n)))
        if replace:
            s.exec(delete(TravelTime))
        else:
            for t in parsed:
                s.exec(delete(TravelTime).where(TravelTime.depot_id == t.depot_id, TravelTime.site_code == t.site_code))
        s.add_all(parsed)
        uow.commit()
    return len(parsed)

"""CSV files in (affected sites, travel times), with the row and column of every error: every bad row is
named at once (``common.errors.Problems``), and nothing is stored while one is bad."""
import csv
import io

from sqlmodel import delete, select

from common.actor import ADMIN, Actor
from common.db import UnitOfWork
from common.errors import InvalidInput, Problems
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


def site_rows(data: bytes, problems: Problems | None = None) -> list[dict]:
    """site,people → [{"site", "people", "row"}]; row numbers count the header as row 1, as a spreadsheet does.
    Every bad row is named: into ``problems`` when given (a bad row's people is then None), else raised."""
    collect = problems if problems is not None else Problems()
    rows = []
    for n, row in enumerate(read_csv(data, ("site", "people")), start=2):
        site = (row["site"] or "").strip()
        if not site:
            collect.add(InvalidInput(f"row {n}, column site: the site code is empty", field=f"row {n}.site",
                                     message_code="file_site_empty", params={"row": n}), line=n, column="site",
                        value="")
        people = collect.check(whole_number, row, "people", n, line=n, column="people", value=row.get("people"))
        rows.append({"site": site, "people": people, "row": n})
    if problems is None:
        collect.raise_any("file", "the file's rows")
    return rows


def import_travel_times(engine, actor: Actor, data: bytes, replace: bool = True) -> int:
    """depot,site,minutes: road-network minutes that override the estimate from coordinates (administrators,
    like the page /admin/travel). Every bad row is named; none is stored while one is bad."""
    actor.require_role(ADMIN)
    rows = read_csv(data, ("depot", "site", "minutes"))
    with UnitOfWork(engine) as uow:
        s = uow.session
        depots = dict(s.exec(select(Depot.code, Depot.id)).all())
        sites = set(s.exec(select(Depot.code).where(Depot.tier == "village")).all()) | \
            set(s.exec(select(Shelter.code)).all())
        seen = set()
        parsed = []
        problems = Problems()
        for n, row in enumerate(rows, start=2):
            depot, site = (row["depot"] or "").strip(), (row["site"] or "").strip()
            depot_id = problems.check(known_depot, depots, depot, n, line=n, column="depot", value=depot)
            if site not in sites:
                problems.add(InvalidInput(f"row {n}, column site: no village point or shelter {site!r}",
                                          field=f"row {n}.site", message_code="file_site_unknown",
                                          params={"row": n, "site": site}), line=n, column="site", value=site)
            elif (depot, site) in seen:
                problems.add(InvalidInput(f"row {n}: {depot} → {site} appears twice", field=f"row {n}",
                                          message_code="file_route_twice",
                                          params={"row": n, "depot": depot, "site": site}), line=n, value=site)
            seen.add((depot, site))
            minutes = problems.check(whole_number, row, "minutes", n, line=n, column="minutes",
                                     value=row.get("minutes"))
            if depot_id is not None and minutes is not None:
                parsed.append(TravelTime(depot_id=depot_id, site_code=site, minutes=minutes))
        problems.raise_any("file", "the file's rows")
        if replace:
            s.exec(delete(TravelTime))
        else:
            for t in parsed:
                s.exec(delete(TravelTime).where(TravelTime.depot_id == t.depot_id, TravelTime.site_code == t.site_code))
        s.add_all(parsed)
        uow.commit()
    return len(parsed)

"""How large a request body may be: ``MAX_CONTENT_LENGTH`` (default 1 MiB) for every request, and
``MAX_UPLOAD_LENGTH`` (default 8 MiB) for the few that carry a file or a long list — the CSV imports (travel
times, floors, an incident's sites), a write-off's photo, an allocation problem document. A larger body is
refused with 413 before it is read (``common.http`` answers it: JSON for the API, a page for a form).

Registered first among the before-request functions, so the larger limit is in place before CSRFProtect and
``common.inputs`` read a form."""
from flask import Flask, request

UPLOAD_ENDPOINTS = frozenset({
    "dispatch_api.import_travel_times", "dispatch.admin_travel_import",  # 200,000 rows of CSV
    "dispatch_api.Floors", "dispatch.admin_floors_import",
    "dispatch_api.import_sites", "dispatch_api.replace_sites", "dispatch.new_incident", "dispatch.replace_sites",
    "writeoffs_api.Requests", "writeoffs.new",  # a photo (base64 in the API)
    "dispatch_api.solve", "dispatch_api.adjust_plan", "dispatch_api.Norms",  # long JSON documents and lists
    "people.imports",  # registers (XLSX / CSV files) on the import page
    "transport_api.solve",  # a routing problem with its minutes matrix (transport/api.py caps it at 8 MiB)
})


def register(app: Flask) -> None:
    def allow_uploads() -> None:
        if request.endpoint in UPLOAD_ENDPOINTS:
            request.max_content_length = app.config["MAX_UPLOAD_LENGTH"]

    app.before_request_funcs.setdefault(None, []).insert(0, allow_uploads)

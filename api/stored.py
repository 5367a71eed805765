"""Files from the storage layer as streamed HTTP responses (photos, review PDFs)."""

from __future__ import annotations

from flask import Response, abort

from data.storage import StorageError, get_storage


def stored_file(key: str, mimetype: str, missing: str, max_age: int) -> Response:
    """Stream one stored object in constant memory; a 404 saying `missing` when storage does not have it.

    The first chunk is read before the response starts, so a missing object is a clean 404, not a broken body.
    """
    try:
        stream = get_storage().open(key)
        first = next(stream, b"")
    except StorageError:
        abort(404, description=missing)

    def body():
        yield first
        yield from stream

    resp = Response(body(), mimetype=mimetype)
    resp.headers["Cache-Control"] = f"private, max-age={max_age}"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp

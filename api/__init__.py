"""JSON and CSV endpoints under /api/v1 and the health probes; each module adds its own routes."""

from __future__ import annotations

import importlib
import pkgutil

from flask import Blueprint, Flask, abort

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def init_app(server: Flask) -> None:
    """Import every api module (they add routes to bp or to the server) and register the blueprint."""
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"api.{info.name}")
        if hasattr(module, "init_app"):
            module.init_app(server)
    server.register_blueprint(bp)

    @server.route("/api/<path:_rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    def api_not_found(_rest: str):
        """Unknown API paths get a JSON 404 (instead of the Dash page shell)."""
        abort(404, description="There is no API endpoint at this address.")

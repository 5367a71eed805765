"""Form widgets shared by pages: the browser-side technician form island and labelled Dash fields."""

from __future__ import annotations

import json
from typing import Any

from dash import html
from flask import current_app
from flask_login import current_user

from data import authz

# Photos are scaled in the browser to this long side before upload (the server makes 1600 px web copies).
DOWNSCALE_PX = 2560


def base_spec(form: str, url: str, noun: str, submit_label: str, fields: list[dict], ref: dict, **extra: Any) -> dict:
    """What every technician form island needs: who is signing, the upload limits, the fields and data."""
    cfg = current_app.extensions["toolmaint_config"]
    spec = {
        "form": form, "url": url, "noun": noun, "submit_label": submit_label, "fields": fields, "ref": ref,
        "user": {"id": current_user.id, "username": current_user.username,
                 "name": current_user.display_name or current_user.username},
        "limits": {"max_bytes": cfg.photo_max_mb * 1024 * 1024, "max_pixels": cfg.photo_max_megapixels * 1_000_000,
                   "downscale_px": DOWNSCALE_PX},
        "can_assign": authz.can(current_user, "assign_actions"),
    }
    spec.update(extra)
    return spec


def form_island(island_id: str | dict, spec: dict) -> html.Div:
    """A container the browser turns into the form (assets/tm-20-forms.js); works offline once loaded."""
    return html.Div(
        html.Div([html.Span(className="spinner-border spinner-border-sm me-2"), "Loading the form…"],
                 className="text-body-secondary py-4"),
        id=island_id,
        className="tm-form-island",
        **{"data-tm-form": "1", "data-spec": json.dumps(spec, separators=(",", ":"), default=str)},
    )


def photo_field() -> dict:
    """The photos field of a technician form (camera, or a file picker where there is no camera)."""
    return {"name": "photos", "type": "photos", "label": "Photos", "default": []}


def mould_field(required: bool = True) -> dict:
    """The mould picker (search by code or name)."""
    return {"name": "mould_id", "type": "mould", "label": "Mould", "required": required}


def shot_count_field(help_text: str) -> dict:
    """A shot count prefilled from the mould's latest counter."""
    return {"name": "shot_count", "type": "int", "label": "Shot count", "prefill": "mould.lifetime_shots",
            "help": help_text}

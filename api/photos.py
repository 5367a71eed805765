"""Photo upload (multipart, from the forms' camera or file picker), its processing status, and the images."""

from __future__ import annotations

from flask import abort, current_app, jsonify, request
from flask_login import current_user

from api import bp
from api.auth import api_auth
from api.forms import browser_write, refused
from api.stored import stored_file
from data import authz
from data.db import db
from data.jobs import create_job, get_job
from data.models import Photo
from data.photos import Limits, PhotoRefused, check_size, store_upload, variant_key
from data.validation import FieldErrors

PURPOSE_ACTIONS = {"maintenance": "log_maintenance", "failure": "report_failure"}


def _photo_json(photo: Photo, job=None) -> dict:
    out = {"id": photo.id, "status": photo.status.value, "width": photo.width, "height": photo.height,
           "thumb_url": f"/api/v1/photos/{photo.id}/thumb" if photo.thumb_key else None,
           "web_url": f"/api/v1/photos/{photo.id}/web" if photo.web_key else None}
    if job is not None:
        out.update(job_id=job.id, progress=job.progress, message=job.message, job_status=job.status.value)
    return out


@bp.post("/photos")
@api_auth(None, "log_maintenance")
@browser_write
def upload_photo():
    """Store a photo for a mould; its web size and thumbnail are made by a background task."""
    action = PURPOSE_ACTIONS.get(request.form.get("purpose", "maintenance"))
    if action is None:
        abort(400, description="purpose must be maintenance or failure.")
    upload = request.files.get("photo")
    if upload is None:
        return refused(FieldErrors({"photo": "Attach the photo as the 'photo' field of a multipart form."}))
    limits = Limits.from_config(current_app.extensions["toolmaint_config"])
    upload.stream.seek(0, 2)  # the form parser has spooled the file: its size is known before reading it
    size = upload.stream.tell()
    upload.stream.seek(0)
    try:
        check_size(size, limits)
    except PhotoRefused as exc:
        return refused(FieldErrors({"photo": str(exc)}))
    data = upload.stream.read()
    try:
        photo, created = store_upload(current_user, data, dict(request.form), limits, action)
    except FieldErrors as exc:
        return refused(exc)
    job = None
    if created:
        from workers.tasks_photos import resize_photo

        job = create_job("photo_resize", photo.site_id, current_user.id, "Waiting to make the web size and thumbnail")
        resize_photo(photo.id, job.id)
        job = get_job(job.id)
        db.session.refresh(photo)
    body = _photo_json(photo, job) | {"duplicate": not created, "client_key": photo.client_key}
    return jsonify(body), 201 if created else 200


def _visible_photo(photo_id: int) -> Photo:
    photo = db.session.get(Photo, photo_id)  # the site scope hides other sites' photos
    if photo is None:
        abort(404, description="There is no such photo (or it is at a site you do not have access to).")
    authz.require(current_user, "view", photo)
    return photo


@bp.get("/photos/<int:photo_id>")
@api_auth(None, "view")
def photo_status(photo_id: int):
    """A photo's processing state (and its job's progress when ?job= is given)."""
    photo = _visible_photo(photo_id)
    job = None
    job_id = request.args.get("job")
    if job_id:
        job = get_job(job_id)
        mine = job is not None and job.created_by_id == current_user.id
        if job is not None and not mine and not authz.can(current_user, "view", job.site_id):
            job = None
    return jsonify(_photo_json(photo, job))


@bp.get("/photos/<int:photo_id>/<variant>")
@api_auth(None, "view")
def photo_image(photo_id: int, variant: str):
    """The original, web-size or thumbnail JPEG of a photo."""
    if variant not in ("original", "web", "thumb"):
        abort(404, description="Ask for original, web or thumb.")
    photo = _visible_photo(photo_id)
    key = variant_key(photo, variant)
    if key is None:
        abort(404, description="This size is not ready yet.")
    return stored_file(key, "image/jpeg", "The image file is missing from storage.", 86400)

"""Photos: check an upload by its content, store a clean original, make the web size and thumbnail.

The upload is checked with Pillow (its real format, not its name), against a size and a pixel
limit (decompression bombs are refused before anything is decoded), turned upright by its EXIF
orientation and re-encoded without EXIF (no GPS position leaves the tablet's photo). The web size
and thumbnail are made later by a Huey task (workers/tasks_photos.py) with `make_derivatives`,
which decodes JPEGs at reduced size (Image.draft): a 12-megapixel photo decodes straight to a
2000 px web copy, without resampling.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import struct
import uuid
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from data import events
from data.db import db
from data.jobs import update_job
from data.models import JobStatus, Photo, PhotoStatus, utcnow
from data.moulds import load_mould
from data.storage import StorageError, get_storage
from data.validation import CLIENT_KEY_RE, FieldErrors, Fields, saved_before

logger = logging.getLogger(__name__)

FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "MPO": "image/jpeg"}
WEB_PX = 2048
THUMB_PX = 320
ORIGINAL_QUALITY = 92
WEB_QUALITY = 82
THUMB_QUALITY = 75
MAX_PHOTOS_PER_SUBMISSION = 12


class PhotoRefused(ValueError):
    """The upload is not an acceptable photo; the message says why and is safe to show."""


@dataclass(frozen=True)
class Limits:
    """Upload limits (from the configuration)."""

    max_bytes: int
    max_pixels: int

    @classmethod
    def from_config(cls, cfg: Any) -> Limits:
        """PHOTO_MAX_MB and PHOTO_MAX_MEGAPIXELS."""
        return cls(int(cfg.photo_max_mb * 1024 * 1024), int(cfg.photo_max_megapixels * 1_000_000))


@dataclass(frozen=True)
class CleanImage:
    """An upright, EXIF-free JPEG of the upload."""

    data: bytes
    width: int
    height: int


def inspect_image(data: bytes, limits: Limits) -> tuple[str, int, int]:
    """The format and size of an upload, or PhotoRefused; reads only the header."""
    check_size(len(data), limits)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as im:
                fmt, (width, height) = im.format, im.size
    except Image.DecompressionBombError:  # far over Pillow's own limit: it refuses before telling the size
        raise PhotoRefused(_too_many_pixels(*_header_size(data), limits)) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise PhotoRefused("This file is not a photo: it could not be read as a JPEG, PNG or WebP image.") from None
    if fmt not in FORMATS:
        raise PhotoRefused(f"Only JPEG, PNG and WebP photos are accepted; this file is {fmt}.")
    if width * height > limits.max_pixels:
        raise PhotoRefused(_too_many_pixels(width, height, limits))
    return fmt, width, height


def check_size(size: int, limits: Limits) -> None:
    """PhotoRefused for an empty or too large upload (before reading it)."""
    if not size:
        raise PhotoRefused("The file is empty.")
    if size > limits.max_bytes:
        raise PhotoRefused(f"The photo is {size / 1048576:.1f} MB; photos may be at most "
                           f"{limits.max_bytes / 1048576:.0f} MB.")


def _header_size(data: bytes) -> tuple[int | None, int | None]:
    """Width and height from a PNG or JPEG header, without Pillow (for the message about huge images)."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    i = 2
    while data[:2] == b"\xff\xd8" and i + 9 < len(data) and data[i] == 0xFF:
        marker, length = data[i + 1], struct.unpack(">H", data[i + 2:i + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[i + 5:i + 9])
            return width, height
        i += 2 + length
    return None, None


def _too_many_pixels(width: int | None, height: int | None, limits: Limits) -> str:
    size = (f" is {width:,} × {height:,} pixels ({width * height / 1e6:.0f} megapixels)" if width
            else " has too many pixels")
    return f"The photo{size}; photos may have at most {limits.max_pixels / 1e6:.0f} megapixels."


def _rgb(im: Image.Image) -> Image.Image:
    """RGB for JPEG; transparent areas become white."""
    if im.mode == "RGB":
        return im
    if im.mode in ("RGBA", "LA", "P", "PA"):
        rgba = im.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return im.convert("RGB")


def clean_original(data: bytes, limits: Limits) -> CleanImage:
    """Check the upload, turn it upright by its EXIF orientation and re-encode it as JPEG without EXIF."""
    inspect_image(data, limits)
    try:
        with Image.open(io.BytesIO(data)) as im:
            icc = im.info.get("icc_profile")
            im.load()
            upright = _rgb(ImageOps.exif_transpose(im))
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise PhotoRefused("The photo is damaged or incomplete: it could not be decoded. Take it again.") from None
    out = io.BytesIO()
    upright.save(out, "JPEG", quality=ORIGINAL_QUALITY, icc_profile=icc)  # no exif=: EXIF (and GPS) is dropped
    return CleanImage(out.getvalue(), upright.width, upright.height)


def _fit(width: int, height: int, box: int) -> tuple[int, int]:
    scale = min(1.0, box / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def web_size(width: int, height: int) -> tuple[int, int]:
    """The web copy's size: the largest 1/2, 1/4 or 1/8 reduction within WEB_PX, so a JPEG decodes straight to
    it with DCT scaling and needs no resampling (such a reduction is always over WEB_PX / 2 on its long side)."""
    longest = max(width, height)
    if longest <= WEB_PX:
        return width, height
    for scale in (2, 4, 8):
        if longest / scale <= WEB_PX:
            return -(-width // scale), -(-height // scale)
    return _fit(width, height, WEB_PX)


def make_derivatives(data: bytes, thumb_px: int = THUMB_PX) -> tuple[bytes, bytes]:
    """The web-size and thumbnail JPEGs of a photo (a JPEG is decoded at reduced size with Image.draft)."""
    with Image.open(io.BytesIO(data)) as im:
        target = web_size(*im.size)
        if im.format == "JPEG":
            im.draft("RGB", target)  # decode at 1/2, 1/4 or 1/8 size: most of the work of a 12 MP photo saved
        im = _rgb(ImageOps.exif_transpose(im))
        upright = target if im.size[0] >= im.size[1] or target[0] < target[1] else target[::-1]
        web = im if im.size == upright else im.resize(upright, Image.Resampling.BICUBIC, reducing_gap=2.0)
    thumb = web.resize(_fit(*web.size, thumb_px), Image.Resampling.BICUBIC, reducing_gap=2.0)
    web_out, thumb_out = io.BytesIO(), io.BytesIO()
    web.save(web_out, "JPEG", quality=WEB_QUALITY)
    thumb.save(thumb_out, "JPEG", quality=THUMB_QUALITY)
    return web_out.getvalue(), thumb_out.getvalue()


def _key_base(site_id: int) -> str:
    now = utcnow()
    return f"photos/{site_id}/{now:%Y/%m}/{uuid.uuid4().hex}"


def store_upload(user: Any, data: bytes, raw: dict[str, Any], limits: Limits, action: str) -> tuple[Photo, bool]:
    """Store an uploaded photo for a mould (not yet attached to a log or report); idempotent by client_key.

    Returns (photo, created). Raises FieldErrors (field 'photo' or 'mould_id') for refused input.
    """
    f = Fields(raw)
    key = f.client_key()
    f.check()
    existing = saved_before(Photo, key)
    if existing is not None:
        return existing, False
    mould = load_mould(user, action, raw.get("mould_id"))
    caption = f.text("caption", "Caption", max_len=255)
    f.check()
    try:
        clean = clean_original(data, limits)
    except PhotoRefused as exc:
        raise FieldErrors({"photo": str(exc)}) from None
    storage = get_storage()
    base = _key_base(mould.site_id)
    original_key = f"{base}/original.jpg"
    storage.put(original_key, clean.data, "image/jpeg")
    photo = Photo(site_id=mould.site_id, mould_id=mould.id, storage_key=original_key, content_type="image/jpeg",
                  width=clean.width, height=clean.height, size_bytes=len(clean.data), caption=caption,
                  uploaded_by_id=user.id, client_key=key, status=PhotoStatus.PENDING)
    db.session.add(photo)
    try:
        db.session.commit()
    except IntegrityError:  # the same photo arrived twice at once: keep the first
        db.session.rollback()
        storage.delete(original_key)
        existing = saved_before(Photo, key)
        if existing is None:
            raise
        return existing, False
    events.publish(events.PHOTO_UPLOADED, photo_id=photo.id, site_id=photo.site_id)
    return photo, True


def process_photo(photo_id: int, job_id: str | None = None) -> Photo | None:
    """Make and store the web size and thumbnail of a photo, reporting progress on the job (call in a scope)."""
    photo = db.session.get(Photo, photo_id)
    if photo is None:
        if job_id:
            update_job(job_id, status=JobStatus.FAILED, message="The photo was deleted before it was processed.")
        return None
    storage = get_storage()
    try:
        if job_id:
            update_job(job_id, progress=10, message="Reading the photo")
        original = storage.get(photo.storage_key)
        if job_id:
            update_job(job_id, progress=30, message="Making the web size and thumbnail")
        web, thumb = make_derivatives(original)
        base = photo.storage_key.rsplit("/", 1)[0]
        storage.put(f"{base}/web.jpg", web, "image/jpeg")
        if job_id:
            update_job(job_id, progress=70, message="Storing")
        storage.put(f"{base}/thumb.jpg", thumb, "image/jpeg")
        photo.web_key, photo.thumb_key, photo.status = f"{base}/web.jpg", f"{base}/thumb.jpg", PhotoStatus.READY
        db.session.commit()
    except (StorageError, OSError, ValueError) as exc:
        db.session.rollback()
        logger.exception("Photo %s could not be processed", photo_id)
        photo = db.session.get(Photo, photo_id)
        if photo is not None:
            photo.status = PhotoStatus.FAILED
            db.session.commit()
        if job_id:
            update_job(job_id, status=JobStatus.FAILED, message=f"The photo could not be processed: {exc}")
        return photo
    if job_id:
        update_job(job_id, status=JobStatus.DONE, message="Ready", result={"photo_id": photo.id})
    return photo


def photo_keys(f: Fields, name: str = "photo_keys") -> list[str]:
    """The client keys of the photos a submission attaches (uploaded just before it)."""
    raw = f.raw.get(name) or []
    if not isinstance(raw, list | tuple) or not all(isinstance(k, str) and CLIENT_KEY_RE.match(k) for k in raw):
        f.error("photos", "The photo list is malformed; take the photos again.")
        return []
    if len(raw) > MAX_PHOTOS_PER_SUBMISSION:
        f.error("photos", f"At most {MAX_PHOTOS_PER_SUBMISSION} photos per submission.")
    return list(dict.fromkeys(raw))


def photos_to_attach(f: Fields, keys: Sequence[str], user: Any, site_id: int | None) -> list[Photo]:
    """The uploaded, unattached photos of this user for these keys; errors on field 'photos' otherwise."""
    if not keys:
        return []
    photos = {p.client_key: p for p in db.session.scalars(select(Photo).where(Photo.client_key.in_(tuple(keys))))}
    missing = [k for k in keys if k not in photos]
    if missing:
        f.error("photos", f"{len(missing)} photo(s) did not reach the server; submit again to resend them.")
    for p in photos.values():
        if p.maintenance_log_id or p.failure_report_id:
            f.error("photos", "A photo is already attached to another record.")
        elif p.uploaded_by_id != user.id:
            f.error("photos", "A photo was uploaded by someone else.")
        elif site_id is not None and p.site_id != site_id:
            f.error("photos", "A photo belongs to another site's mould: take it again for this mould.")
    return [photos[k] for k in keys if k in photos]


def attach(photos: Iterable[Photo], mould_id: int, log_id: int | None = None, report_id: int | None = None) -> None:
    """Link photos to the record they belong to (in the caller's transaction)."""
    for p in photos:
        p.mould_id = mould_id
        p.maintenance_log_id = log_id
        p.failure_report_id = report_id


def photos_of(log_id: int | None = None, report_id: int | None = None) -> list[Photo]:
    """The photos of a maintenance log or a failure report, oldest first."""
    stmt = select(Photo).order_by(Photo.id)
    if log_id:
        return list(db.session.scalars(stmt.where(Photo.maintenance_log_id == log_id)))
    stmt = stmt.where(Photo.failure_report_id == report_id)
    return list(db.session.scalars(stmt))


def delete_unattached(older_than: dt.timedelta) -> int:
    """Remove photos uploaded but never attached to a submission (abandoned forms); call in system scope."""
    cutoff = utcnow() - older_than
    stale = db.session.scalars(select(Photo).where(Photo.maintenance_log_id.is_(None),
                                                   Photo.failure_report_id.is_(None),
                                                   Photo.created_at < cutoff)).all()
    storage = get_storage()
    for p in stale:
        for key in (p.storage_key, p.web_key, p.thumb_key):
            if key:
                try:
                    storage.delete(key)
                except StorageError:
                    logger.warning("Could not delete %s", key)
        db.session.delete(p)
    db.session.commit()
    return len(stale)


def variant_key(photo: Photo, variant: str) -> str | None:
    """The storage key of a photo's original, web size or thumbnail (None while not made yet)."""
    return {"original": photo.storage_key, "web": photo.web_key, "thumb": photo.thumb_key}.get(variant)

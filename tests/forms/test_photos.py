"""The photo pipeline: checks by content, EXIF orientation then no EXIF, derivatives, and S3 storage via moto."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from data.photos import Limits, PhotoRefused, clean_original, inspect_image, make_derivatives
from data.storage import S3Storage, StorageError
from tests.conftest import free_port
from tests.forms.conftest import big_png, jpeg_bytes

LIMITS = Limits(max_bytes=20 * 1024 * 1024, max_pixels=60_000_000)


def test_orientation_is_applied_and_exif_with_gps_is_removed():
    raw = jpeg_bytes(size=(400, 200), exif_orientation=6, gps=True)  # 6: rotate 90° clockwise to view
    assert Image.open(io.BytesIO(raw)).getexif().get(0x8825) is not None
    clean = clean_original(raw, LIMITS)
    im = Image.open(io.BytesIO(clean.data))
    assert (clean.width, clean.height) == (200, 400) == im.size  # upright
    assert len(im.getexif()) == 0 and "exif" not in im.info
    assert im.getpixel((180, 20))[2] > 150  # the blue top-left corner is now top-right


def test_derivatives_fit_their_boxes_and_keep_the_aspect():
    web, thumb = make_derivatives(jpeg_bytes(size=(4000, 3000)))
    assert Image.open(io.BytesIO(web)).size == (2000, 1500)  # a 1/2 DCT-scaled decode, no resampling
    assert Image.open(io.BytesIO(thumb)).size == (320, 240)
    portrait, _ = make_derivatives(jpeg_bytes(size=(3000, 4000)))
    assert Image.open(io.BytesIO(portrait)).size == (1500, 2000)
    wide, _ = make_derivatives(jpeg_bytes(size=(5000, 1000)))  # 1/2 is still over 2048 px: 1/4
    assert Image.open(io.BytesIO(wide)).size == (1250, 250)
    png = io.BytesIO()
    Image.new("RGB", (3000, 1000), (9, 9, 9)).save(png, "PNG")  # no DCT scaling: resampled to the same size
    assert Image.open(io.BytesIO(make_derivatives(png.getvalue())[0])).size == (1500, 500)
    small_web, _ = make_derivatives(jpeg_bytes(size=(800, 600)))
    assert Image.open(io.BytesIO(small_web)).size == (800, 600)  # never enlarged


def test_png_with_transparency_becomes_a_white_backed_jpeg():
    im = Image.new("RGBA", (50, 50), (0, 0, 0, 0))
    out = io.BytesIO()
    im.save(out, "PNG")
    clean = clean_original(out.getvalue(), LIMITS)
    assert Image.open(io.BytesIO(clean.data)).getpixel((10, 10)) == (255, 255, 255)


@pytest.mark.parametrize("data, message", [
    (b"", "empty"),
    (b"GIF89a" + b"\0" * 100, "not a photo"),
    (big_png(20_000, 20_000), "20,000 × 20,000 pixels (400 megapixels)"),
    (big_png(9_000, 9_000), "9,000 × 9,000 pixels"),
])
def test_inspect_refuses_by_content_and_pixels(data, message):
    with pytest.raises(PhotoRefused, match=message.replace("(", r"\(").replace(")", r"\)")):
        inspect_image(data, LIMITS)


def test_truncated_jpeg_is_refused_as_damaged():
    with pytest.raises(PhotoRefused, match="damaged"):
        clean_original(jpeg_bytes(size=(800, 600))[:3000], LIMITS)


def test_gif_is_refused_even_when_named_jpg():
    im = Image.new("P", (10, 10))
    out = io.BytesIO()
    im.save(out, "GIF")
    with pytest.raises(PhotoRefused, match="this file is GIF"):
        inspect_image(out.getvalue(), LIMITS)


@pytest.fixture
def s3_endpoint():
    """moto's S3-compatible server on 127.0.0.1 at a free port."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    yield f"127.0.0.1:{port}"
    server.stop()


def test_s3_storage_round_trip_against_moto(s3_endpoint):
    storage = S3Storage(s3_endpoint, "test", "testsecret", "toolmaint-photos", secure=False, region="us-east-1")
    storage.ping()  # creates the bucket
    web, thumb = make_derivatives(jpeg_bytes(size=(2000, 1500)))
    storage.put("photos/1/2026/11/abc/web.jpg", web, "image/jpeg")
    storage.put("photos/1/2026/11/abc/thumb.jpg", thumb, "image/jpeg")
    assert storage.exists("photos/1/2026/11/abc/web.jpg")
    assert storage.get("photos/1/2026/11/abc/web.jpg") == web
    assert b"".join(storage.open("photos/1/2026/11/abc/thumb.jpg", chunk=1000)) == thumb
    storage.delete("photos/1/2026/11/abc/web.jpg")
    assert not storage.exists("photos/1/2026/11/abc/web.jpg")
    with pytest.raises(StorageError):
        storage.get("photos/1/2026/11/abc/web.jpg")
    with pytest.raises(StorageError):
        storage.put("../escape", b"x")


def test_upload_through_the_app_lands_in_s3(app, client, auth, world, s3_endpoint):
    from dataclasses import replace

    from config import get_config, set_config
    from data import storage as storage_module

    before = get_config()
    set_config(replace(before, s3_endpoint=s3_endpoint, s3_access_key="test", s3_secret_key="testsecret",
                       s3_secure=False))
    storage_module.reset_storage()
    try:
        auth.login("technician")
        resp = client.post("/api/v1/photos", headers={"X-Requested-With": "toolmaint"},
                           content_type="multipart/form-data",
                           data={"photo": (io.BytesIO(jpeg_bytes(size=(3000, 2000), gps=True)), "p.jpg"),
                                 "mould_id": str(world["moulds"]["S1"]), "client_key": "s3-photo-0001"})
        assert resp.status_code == 201, resp.get_json()
        s3 = storage_module.get_storage()
        assert isinstance(s3, S3Storage)
        keys = [o.object_name for o in s3.client.list_objects(s3.bucket, recursive=True)]
        assert sorted(k.rsplit("/", 1)[1] for k in keys) == ["original.jpg", "thumb.jpg", "web.jpg"]
        original = Image.open(io.BytesIO(s3.get(next(k for k in keys if k.endswith("original.jpg")))))
        assert len(original.getexif()) == 0
        assert client.get(f"/api/v1/photos/{resp.get_json()['id']}/web").status_code == 200
    finally:
        set_config(before)
        storage_module.reset_storage()

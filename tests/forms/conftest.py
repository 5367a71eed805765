"""Fixtures and helpers for the technician forms, photos and master data tests."""

from __future__ import annotations

import io
from contextlib import contextmanager

import pytest
from PIL import Image


@pytest.fixture
def act(app, world):
    """`with act("technician") as user:` runs a block as that user, in their site scope."""
    from data.db import db
    from data.models import User
    from data.scope import using_scope
    from data.users import scope_for

    @contextmanager
    def acting(name: str):
        with app.app_context():
            user = db.session.get(User, world["users"][name])
            with using_scope(scope_for(user)):
                yield user
            db.session.remove()

    return acting


@pytest.fixture
def code_id(app, world):
    """A failure code in the catalogue (default severity high)."""
    from data.db import db
    from data.models import FailureCode, Severity
    from data.scope import system_scope

    with app.app_context(), system_scope():
        fc = FailureCode(code="WL-CO-CC", mode="Water leak", mechanism="Corrosion", cause="Maintenance",
                         component="Cooling circuit", default_severity=Severity.HIGH)
        db.session.add(fc)
        db.session.commit()
        fc_id = fc.id
        db.session.remove()
    return fc_id


def jpeg_bytes(size=(640, 480), exif_orientation: int | None = None, gps: bool = False, color=(200, 40, 40)) -> bytes:
    """A JPEG, optionally with an EXIF orientation and a GPS position."""
    im = Image.new("RGB", size, color)
    im.paste((20, 20, 220), (0, 0, size[0] // 4, size[1] // 4))  # a blue corner shows the orientation
    exif = Image.Exif()
    if exif_orientation:
        exif[0x0112] = exif_orientation
    if gps:
        exif[0x8825] = {1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 36.0)}
    out = io.BytesIO()
    im.save(out, "JPEG", quality=90, exif=exif.tobytes() if (exif_orientation or gps) else b"")
    return out.getvalue()


def big_png(width: int, height: int) -> bytes:
    """A PNG header for a huge image (tiny file): what a decompression bomb looks like."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = zlib.compress(b"\x00" * (width // 8 + 1) * 16)  # a few rows; the header is what matters
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
            + chunk(b"IDAT", raw) + chunk(b"IEND", b""))


@pytest.fixture
def storage_files(app):
    """A function listing the files in the test storage directory (after emptying it)."""
    import shutil

    from config import get_config

    root = get_config().storage_dir
    shutil.rmtree(root, ignore_errors=True)

    def files() -> list[str]:
        return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []

    return files


class RestartableServer:
    """The app on a fixed free port that a test can stop (the plant's Wi-Fi drops) and start again."""

    def __init__(self, app) -> None:
        from tests.conftest import free_port

        self.app = app
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = None
        self.thread = None

    def start(self) -> None:
        """Serve on the same port again."""
        import threading

        from werkzeug.serving import make_server

        self.server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        """Stop answering: connections are refused, as when the network is gone."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.thread.join(timeout=5)
            self.server = None


@pytest.fixture
def flaky_server(app):
    """A server the test can take away and bring back; yields it (its .url is the base URL)."""
    server = RestartableServer(app)
    server.start()
    yield server
    server.stop()

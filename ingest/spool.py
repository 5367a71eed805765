"""A durable local queue (one SQLite file) between an edge process and the ingest API.

Readings are written here first, in one committed transaction per call, and deleted only after
the API has accepted them; so a crash, a `kill -9` or an API outage loses nothing that was spooled,
and replay after an outage goes oldest first. Items the API refuses are moved to a dead-letter
table with the API's message, so one bad reading cannot block the queue.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS queue (
    id INTEGER PRIMARY KEY AUTOINCREMENT, stream TEXT NOT NULL, item TEXT NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS dead (
    id INTEGER PRIMARY KEY AUTOINCREMENT, stream TEXT NOT NULL, item TEXT NOT NULL, reason TEXT NOT NULL,
    message TEXT NOT NULL, created REAL NOT NULL);
"""
KEEP_DEAD = 10_000


class Spool:
    """Thread-safe FIFO of JSON items per stream, with dead letters."""

    def __init__(self, path: str | Path, fsync: bool = True) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        # FULL survives power loss; NORMAL survives a killed process (the OS keeps the written pages).
        self._db.execute(f"PRAGMA synchronous={'FULL' if fsync else 'NORMAL'}")
        self._db.executescript(SCHEMA)
        self.added = threading.Event()

    def put(self, stream: str, items: list[dict[str, Any]]) -> None:
        """Append items in one committed transaction."""
        if not items:
            return
        now = time.time()
        rows = [(stream, json.dumps(i, separators=(",", ":")), now) for i in items]
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany("INSERT INTO queue (stream, item, created) VALUES (?, ?, ?)", rows)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        self.added.set()

    def peek(self, stream: str, limit: int) -> list[tuple[int, dict[str, Any]]]:
        """The oldest items of a stream (not removed)."""
        with self._lock:
            rows = self._db.execute("SELECT id, item FROM queue WHERE stream = ? ORDER BY id LIMIT ?",
                                    (stream, limit)).fetchall()
        return [(i, json.loads(item)) for i, item in rows]

    def ack(self, ids: list[int]) -> None:
        """Forget delivered items."""
        if ids:
            with self._lock:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.executemany("DELETE FROM queue WHERE id = ?", [(i,) for i in ids])
                self._db.execute("COMMIT")

    def bury(self, stream: str, refused: list[tuple[int, dict[str, Any], str, str]]) -> None:
        """Move refused items (id, item, reason, message) to the dead letters."""
        if not refused:
            return
        now = time.time()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany("INSERT INTO dead (stream, item, reason, message, created) VALUES (?, ?, ?, ?, ?)",
                                     [(stream, json.dumps(item), reason, message[:1000], now)
                                      for _i, item, reason, message in refused])
                self._db.executemany("DELETE FROM queue WHERE id = ?", [(i,) for i, *_rest in refused])
                self._db.execute("DELETE FROM dead WHERE id <= (SELECT max(id) FROM dead) - ?", (KEEP_DEAD,))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def bury_raw(self, stream: str, payload: str, reason: str, message: str) -> None:
        """Keep something that never became an item (e.g. an MQTT payload that is not JSON)."""
        with self._lock:
            self._db.execute("INSERT INTO dead (stream, item, reason, message, created) VALUES (?, ?, ?, ?, ?)",
                             (stream, payload[:4000], reason, message[:1000], time.time()))

    def depth(self, stream: str | None = None) -> int:
        """Items waiting (in one stream, or all)."""
        with self._lock:
            if stream is None:
                return self._db.execute("SELECT count(*) FROM queue").fetchone()[0]
            return self._db.execute("SELECT count(*) FROM queue WHERE stream = ?", (stream,)).fetchone()[0]

    def dead_count(self) -> int:
        """Items set aside."""
        with self._lock:
            return self._db.execute("SELECT count(*) FROM dead").fetchone()[0]

    def dead_letters(self, limit: int = 50) -> list[dict[str, Any]]:
        """The latest dead letters, newest first (for operators)."""
        with self._lock:
            rows = self._db.execute("SELECT stream, item, reason, message, created FROM dead ORDER BY id DESC "
                                    "LIMIT ?", (limit,)).fetchall()
        return [{"stream": s, "item": i, "reason": r, "message": m, "created": c} for s, i, r, m, c in rows]

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            self._db.close()

"""SQLite's write-ahead log, checkpointed by a background thread instead of by whichever commit crosses the limit.

By default SQLite copies the log back into the database file (a checkpoint, with an fsync) inside the commit
that takes the log past 1,000 pages: with ingest batches arriving steadily, every few batches one of them waits
for tens of milliseconds. Here each process that opens a database file runs one daemon thread that checkpoints
it every second (PASSIVE: it never waits for or blocks readers and writers), while the connections' own limit
is raised to AUTO_CHECKPOINT_PAGES as a backstop for when that thread is not keeping up.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time

logger = logging.getLogger(__name__)

CHECKPOINT_EVERY_S = 1.0
AUTO_CHECKPOINT_PAGES = 16_000  # 64 MB of log with 4 kB pages
_threads: dict[str, threading.Thread] = {}
_lock = threading.Lock()


def configure(dbapi_conn: sqlite3.Connection) -> None:
    """For a new connection: raise its checkpoint limit, and make sure its database file has a checkpointer in
    this process (a thread does not survive a fork, so a forked worker starts its own)."""
    dbapi_conn.execute(f"PRAGMA wal_autocheckpoint={AUTO_CHECKPOINT_PAGES}")
    path = next((row[2] for row in dbapi_conn.execute("PRAGMA database_list") if row[1] == "main"), "")
    if not path:  # an in-memory database has no log
        return
    with _lock:
        thread = _threads.get(path)
        if thread is None or not thread.is_alive():
            thread = _threads[path] = threading.Thread(target=_checkpoint_loop, args=(path,), daemon=True,
                                                       name=f"sqlite-checkpoint:{os.path.basename(path)}")
            thread.start()


def _checkpoint_loop(path: str) -> None:
    """Checkpoint the file every CHECKPOINT_EVERY_S until it is gone (a removed test or benchmark database)."""
    conn = sqlite3.connect(path, timeout=1, check_same_thread=False)
    try:
        while os.path.exists(path):
            time.sleep(CHECKPOINT_EVERY_S)
            try:
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            except sqlite3.Error as exc:  # busy now: the next round catches up
                logger.debug("Checkpoint of %s skipped: %s", path, exc)
    finally:
        conn.close()

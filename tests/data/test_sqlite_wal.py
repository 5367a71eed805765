"""SQLite's write-ahead log is copied into the database file by the background checkpointer, not by a commit."""

from __future__ import annotations

import sqlite3
import time

from sqlalchemy import create_engine, text

import data.db  # noqa: F401  (registers the connection hook under test)
from data import sqlite_wal


def test_commits_reach_the_database_file_without_a_commit_checkpointing(tmp_path):
    path = tmp_path / "plant.db"
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA wal_autocheckpoint")).scalar() == sqlite_wal.AUTO_CHECKPOINT_PAGES
        conn.execute(text("CREATE TABLE readings (n INTEGER)"))
        conn.execute(text("INSERT INTO readings VALUES (1), (2), (3)"))
    thread = sqlite_wal._threads[str(path)]
    assert thread.is_alive()

    def rows_in_the_file() -> int | None:
        """The rows the database file itself holds (immutable=1 reads the file and ignores the log)."""
        file_only = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
        try:
            return file_only.execute("SELECT count(*) FROM readings").fetchone()[0]
        except sqlite3.OperationalError:  # the table is still only in the log
            return None
        finally:
            file_only.close()

    # far below the connections' own limit: only the background thread copies these pages into the file
    deadline = time.monotonic() + 10 * sqlite_wal.CHECKPOINT_EVERY_S
    while rows_in_the_file() != 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert rows_in_the_file() == 3
    engine.dispose()
    path.unlink()
    thread.join(5 * sqlite_wal.CHECKPOINT_EVERY_S)
    assert not thread.is_alive()  # it ends when its database is gone

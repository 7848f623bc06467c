"""The engine's state: one SQLite table of entities, in memory or in a file.

An entity is a row keyed by its concrete collection path (``vms`` or ``vms/<id>/nics``) and
its id; its document is the XML the clients wrote (no id, href, links or actions: those are
rendered). All access goes through one connection under one lock, and every request that
writes runs in one transaction, so concurrent requests never lose an update. With a data
folder the file survives restarts (WAL journal, synchronous commits).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

FILE_NAME = "engine.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entities (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    collection TEXT NOT NULL,
    id TEXT NOT NULL,
    name TEXT,
    owner TEXT NOT NULL,
    doc BLOB NOT NULL,
    UNIQUE (collection, id)
);
CREATE INDEX IF NOT EXISTS entities_by_name ON entities (collection, name);
"""
_COLUMNS = "collection, id, name, owner, doc, seq"


class Row(NamedTuple):
    collection: str
    id: str
    name: str | None
    owner: str
    doc: bytes
    seq: int = 0


class Store:
    """Entities in SQLite; ``path`` None keeps them in memory."""

    def __init__(self, folder: Path | None = None) -> None:
        """Open (or create) the store; ``StoreError`` names the folder or file that is unusable."""
        from contracttest.errors import StoreError

        self.location = ":memory:" if folder is None else str(folder / FILE_NAME)
        if folder is not None:
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except FileExistsError:
                raise StoreError(
                    str(folder), "not a folder (the engine keeps its state in one)"
                ) from None
            except OSError as exc:
                problem = f"cannot create the data folder: {exc.strerror or exc}"
                raise StoreError(str(folder), problem) from None
        db: sqlite3.Connection | None = None
        try:
            db = sqlite3.connect(self.location, check_same_thread=False, isolation_level=None)
            if folder is not None:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(_SCHEMA)
            db.execute(f"SELECT {_COLUMNS} FROM entities LIMIT 0")  # another program's table?
        except sqlite3.Error as exc:
            if db is not None:
                db.close()
            if Path(self.location).is_dir():
                raise StoreError(self.location, "a folder, not a database file") from None
            problem = f"not usable as the engine's database: {exc} (move it aside to start afresh)"
            raise StoreError(self.location, problem) from None
        self._db = db
        self.lock = threading.RLock()
        #: Bumped by every write to the users collection: what depends on who exists can be
        #: remembered until it changes.
        self.users_generation = 0
        self._depth = 0

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic unit of work; nested calls join the outer one."""
        with self.lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self._db.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            else:
                self._db.execute("COMMIT")
            finally:
                self._depth = 0

    def get(self, collection: str, entity_id: str) -> Row | None:
        with self.lock:
            found = self._db.execute(
                f"SELECT {_COLUMNS} FROM entities WHERE collection = ? AND id = ?",
                (collection, entity_id),
            ).fetchone()
        return Row(*found) if found else None

    def by_name(self, collection: str, name: str) -> Row | None:
        with self.lock:
            found = self._db.execute(
                f"SELECT {_COLUMNS} FROM entities WHERE collection = ? AND name = ? "
                "ORDER BY seq LIMIT 1",
                (collection, name),
            ).fetchone()
        return Row(*found) if found else None

    def named(self, collection: str, name: str) -> list[Row]:
        """Every entity of a collection with ``name``, oldest first."""
        with self.lock:
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM entities WHERE collection = ? AND name = ? ORDER BY seq",
                (collection, name),
            ).fetchall()
        return [Row(*row) for row in rows]

    def list(self, collection: str) -> list[Row]:
        with self.lock:
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM entities WHERE collection = ? ORDER BY seq",
                (collection,),
            ).fetchall()
        return [Row(*row) for row in rows]

    def insert(self, row: Row) -> None:
        with self.transaction():
            self._touch(row.collection)
            self._db.execute(
                "INSERT INTO entities (collection, id, name, owner, doc) VALUES (?, ?, ?, ?, ?)",
                (row.collection, row.id, row.name, row.owner, row.doc),
            )

    def update(self, collection: str, entity_id: str, doc: bytes, name: str | None) -> None:
        with self.transaction():
            self._touch(collection)
            self._db.execute(
                "UPDATE entities SET doc = ?, name = ? WHERE collection = ? AND id = ?",
                (doc, name, collection, entity_id),
            )

    def delete_tree(self, collection: str, entity_id: str, *, below: bool = True) -> bool:
        """Remove an entity and everything under its path (not ``below``: the entity alone,
        as the ``orphan-subresources`` defect does); whether it existed."""
        under = f"{collection}/{entity_id}/"
        with self.transaction():
            self._touch(collection)
            gone = self._db.execute(
                "DELETE FROM entities WHERE collection = ? AND id = ?", (collection, entity_id)
            ).rowcount
            if below:  # every collection path under the entity: between "<path>/" and "<path>0"
                self._db.execute(
                    "DELETE FROM entities WHERE collection >= ? AND collection < ?",
                    (under, under[:-1] + "0"),
                )
        return gone > 0

    def holds_below(self, collection: str, entity_id: str) -> bool:
        """Whether anything is stored under an entity's path."""
        below = f"{collection}/{entity_id}/"
        with self.lock:
            found = self._db.execute(
                "SELECT 1 FROM entities WHERE collection >= ? AND collection < ? LIMIT 1",
                (below, below[:-1] + "0"),
            ).fetchone()
        return found is not None

    def _touch(self, collection: str) -> None:
        """Under the lock, so no reader sees the new generation with the old rows."""
        if collection == "users":
            self.users_generation += 1

    def reassign(self, owner: str, to: str) -> None:
        """Give everything ``owner`` owns to ``to``."""
        with self.transaction():
            self._db.execute("UPDATE entities SET owner = ? WHERE owner = ?", (to, owner))

    def count(self) -> int:
        with self.lock:
            (total,) = self._db.execute("SELECT COUNT(*) FROM entities").fetchone()
        return int(total)

    def close(self) -> None:
        with self.lock:
            self._db.close()

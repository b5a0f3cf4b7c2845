"""Migration 0015: room membership, room owners and the first admin keyed by person id.

Membership rows held name keys (chat/names.py) until now; a rename lost them
and a freed name's next owner would have inherited them. Each row is carried
over to the person owning that key. A row whose key no person owns is dropped
(a private room nobody can map stays readable by nobody); `bot`, the default
bot name's key, becomes the bot's member id (chat/rooms.py BOT_MEMBER). A
room's owner is the person whose name is exactly its `created_by`, if any.

`first_admin` holds one row at most: the claim of the person who became
admin because CHAT_ADMINS was unset. Its primary key makes the claim atomic.
"""

from __future__ import annotations

from chat.store.migrations import Migration

_CARRY_OVER = """
    INSERT INTO room_members_by_person (room, person_id, added_by, added_at)
        SELECT m.room,
               CASE WHEN m.member = 'bot' THEN 'bot' ELSE p.id END,
               COALESCE((SELECT a.id FROM people a WHERE a.name = m.added_by), ''),
               m.added_at
        FROM room_members m LEFT JOIN people p ON p.name_key = m.member
        WHERE p.id IS NOT NULL OR m.member = 'bot';
    DROP TABLE room_members;
    ALTER TABLE room_members_by_person RENAME TO room_members;
    CREATE INDEX room_members_by_person_id ON room_members (person_id);
    ALTER TABLE rooms ADD COLUMN owner_id TEXT;
    UPDATE rooms SET owner_id = (SELECT p.id FROM people p WHERE p.name = rooms.created_by);
    CREATE TABLE first_admin (
        only_one INTEGER PRIMARY KEY CHECK (only_one = 1),
        person_id TEXT NOT NULL
    );
    INSERT INTO first_admin (only_one, person_id)
        SELECT 1, id FROM people WHERE role = 'admin' ORDER BY created_at, id LIMIT 1;
"""

SQLITE: list[Migration] = [
    (
        "0015_members_by_person",
        """
        CREATE TABLE room_members_by_person (
            room TEXT NOT NULL REFERENCES rooms (name),
            person_id TEXT NOT NULL,
            added_by TEXT NOT NULL DEFAULT '',
            added_at REAL NOT NULL,
            PRIMARY KEY (room, person_id)
        );
        """
        + _CARRY_OVER
        + """
        CREATE TRIGGER first_admin_is_admin AFTER INSERT ON first_admin
        BEGIN
            UPDATE people SET role = 'admin' WHERE id = NEW.person_id;
        END;
        """,
    )
]
"""Appended to SQLiteStore's migrations (the trigger makes the claim one atomic statement)."""

POSTGRES: list[Migration] = [
    (
        "0015_members_by_person",
        """
        CREATE TABLE room_members_by_person (
            room TEXT NOT NULL REFERENCES rooms (name),
            person_id TEXT NOT NULL,
            added_by TEXT NOT NULL DEFAULT '',
            added_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            PRIMARY KEY (room, person_id)
        );
        """
        + _CARRY_OVER,
    )
]
"""Appended to PostgresStore's migrations."""

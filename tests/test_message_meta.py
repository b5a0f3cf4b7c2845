"""Typed message metadata: rows and events written before it was typed read the same, and what it
writes back is what they held (with the keys it does not know kept, never dropped)."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict
from datetime import UTC, datetime

import pytest

from chat.attachments import Attachment
from chat.backup import _message_record
from chat.bus.codec import decode_event, encode_event
from chat.domain import Message, MessageKind, MessagePosted, MessageStatus
from chat.message_meta import MessageMeta
from tests.servers import execute_sql, fetch_sql
from tests.test_store import draft, store, stores  # noqa: F401 (fixtures)

PICTURE = Attachment("a" * 32, "cat.png", "image/png", 5_300, 64, 48, "dGh1bWI=")
OLD_REPLY_META = {
    # What a finished bot reply's meta column held before the type: every key it used, the
    # attachments as JSON text, an asker with no person id as "", and keys from elsewhere.
    "node": "node-1",
    "reply_to": "m0",
    "asked_by": "Alice",
    "asked_by_id": "",
    "display_name": "Sage",
    "attachments": json.dumps([asdict(PICTURE)], sort_keys=True),
    "model": "gpt-x",
    "usage": {"tokens": 3},
}
TYPED = MessageMeta(
    node="node-1",
    answers="m0",
    asked_by="Alice",
    bot_name="Sage",
    attachments=(PICTURE,),
    extra=(("model", "gpt-x"), ("usage", {"tokens": 3})),
)


def test_every_key_reads_into_its_field_and_writes_back_as_it_was():
    every = {
        "node": "n",
        "webhook": "w",
        "reply_to": "m0",
        "asked_by": "Alice",
        "asked_by_id": "p-1",
        "display_name": "Sage",
        "image": "/bot-images/1.png",
        "error": "500",
        "stopped_by": "Bob",
        "asker_utc_offset": "540",
        "attachments": json.dumps([asdict(PICTURE)], sort_keys=True),
    }
    meta = MessageMeta.from_json(every)
    assert meta == MessageMeta(
        node="n",
        webhook="w",
        answers="m0",
        asked_by="Alice",
        asked_by_id="p-1",
        bot_name="Sage",
        image="/bot-images/1.png",
        error="500",
        stopped_by="Bob",
        asker_utc_offset="540",
        attachments=(PICTURE,),
    )
    assert meta.to_json() == every
    assert MessageMeta.from_json(json.dumps(every)) == meta


def test_an_old_row_reads_typed_keeps_what_it_does_not_know_and_drops_an_empty_asker():
    meta = MessageMeta.from_json(OLD_REPLY_META)
    assert meta == TYPED and meta.asked_by_id is None
    assert meta.to_json() == {k: v for k, v in OLD_REPLY_META.items() if k != "asked_by_id"}


def test_damaged_meta_never_raises_and_what_does_not_read_is_kept_as_it_was():
    for damaged in ("not json", "[1, 2]", "", None, b"{", 7, ["x"]):
        assert MessageMeta.from_json(damaged) == MessageMeta()
    odd = {"node": 5, "attachments": "not json", "error": "", "asked_by": "Ann"}
    meta = MessageMeta.from_json(odd)
    assert (meta.node, meta.attachments, meta.error, meta.asked_by) == (None, (), None, "Ann")
    assert meta.to_json() == {"node": 5, "attachments": "not json", "asked_by": "Ann"}


def test_merged_sets_only_what_the_change_sets():
    ended = TYPED.merged(
        MessageMeta(error="The model server answered 500.", extra=(("model", "y"),))
    )
    assert (ended.error, ended.node, ended.attachments) == (
        "The model server answered 500.",
        "node-1",
        (PICTURE,),
    )
    assert dict(ended.extra) == {"model": "y", "usage": {"tokens": 3}}
    assert TYPED.merged(MessageMeta()) is TYPED


async def _write_raw(backend, message_id: str, meta: dict) -> None:
    if backend.name == "sqlite":
        with sqlite3.connect(backend.path) as db:
            db.execute("UPDATE messages SET meta = ? WHERE id = ?", (json.dumps(meta), message_id))
    else:
        await execute_sql(
            backend.admin_url,
            f"UPDATE {backend.schema}.messages SET meta = $1::jsonb WHERE id = $2",
            json.dumps(meta),
            message_id,
        )


async def _read_raw(backend, message_id: str) -> dict:
    if backend.name == "sqlite":
        with sqlite3.connect(backend.path) as db:
            (raw,) = db.execute("SELECT meta FROM messages WHERE id = ?", (message_id,)).fetchone()
    else:
        (row,) = await fetch_sql(
            backend.admin_url,
            f"SELECT meta FROM {backend.schema}.messages WHERE id = $1",
            message_id,
        )
        raw = row["meta"]
    return json.loads(raw)


@pytest.mark.asyncio
async def test_a_row_written_before_the_type_loads_and_saves_back_compatibly(stores, store):  # noqa: F811
    reply = await store.add_message(
        draft("", author="sage", kind=MessageKind.BOT, status=MessageStatus.STREAMING)
    )
    await _write_raw(stores.backend, reply.id, OLD_REPLY_META)
    loaded = await store.get_message(reply.id)
    assert loaded.meta == TYPED
    await store.update_message(
        reply.id, "done", MessageStatus.STOPPED, loaded.meta.merged(MessageMeta(stopped_by="Bob"))
    )
    written = {k: v for k, v in OLD_REPLY_META.items() if k != "asked_by_id"} | {
        "stopped_by": "Bob"
    }
    assert await _read_raw(stores.backend, reply.id) == written
    assert (await store.get_message(reply.id)).meta == TYPED.merged(MessageMeta(stopped_by="Bob"))


def _message(meta: MessageMeta) -> Message:
    return Message(
        "m1",
        "design",
        7,
        "sage",
        "hi",
        datetime(2026, 1, 2, tzinfo=UTC),
        MessageKind.BOT,
        meta=meta,
    )


def test_a_message_on_the_bus_carries_its_meta_in_the_old_flat_form_both_ways():
    event = MessagePosted(_message(TYPED))
    wire = json.loads(encode_event(event))
    assert wire["message"]["meta"] == MessageMeta.to_json(TYPED)
    assert wire["message"]["meta"]["attachments"] == OLD_REPLY_META["attachments"]
    assert decode_event(encode_event(event)) == event
    # What a process from before the type sends (its meta a plain dict) decodes typed.
    wire["message"]["meta"] = OLD_REPLY_META
    assert decode_event(json.dumps(wire)).message.meta == TYPED


def test_an_export_writes_meta_in_the_flat_form_rows_keep():
    record = _message_record(_message(TYPED))
    assert record["meta"] == TYPED.to_json()
    json.dumps(record)  # a JSON line

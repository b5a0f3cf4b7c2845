"""The "New messages" divider, over Flet's wire protocol, and the read position it comes from.

The position is the server's: it follows a person to another browser (signed in
with a password), where the divider and the room's count say the same.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from chat.domain import Message, MessageKind
from chat.names import name_key
from chat.ui.unread_divider import NEW_MESSAGES, first_unread
from tests.confab_harness import BrowserPrefs, Person, serve_confab
from tests.test_live_rooms import badges
from tests.test_reads_scale_out import open_room, shows

pytestmark = pytest.mark.asyncio

_sessions = itertools.count()
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def bot_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("bot")


def message(seq: int, author_id: str | None = "p-bob", kind: MessageKind = MessageKind.CHAT):
    return Message(
        id=f"m{seq}",
        room="design",
        seq=seq,
        author="Bob",
        text=f"n{seq}",
        created_at=datetime.now(UTC),
        author_id=author_id,
        kind=kind,
    )


async def test_first_unread_skips_system_lines_and_own_messages_and_needs_a_position():
    messages = [
        message(1),
        message(2, kind=MessageKind.SYSTEM, author_id=None),
        message(3, author_id="p-ann"),
        message(4),
        message(5),
    ]
    assert first_unread(messages, 1, "p-ann") == messages[3]
    assert first_unread(messages, 0, "p-ann") == messages[0]  # a private room never opened
    assert first_unread(messages, None, "p-ann") is None  # a public room never opened
    assert first_unread(messages, 5, "p-ann") is None  # all read


def divider_before(person: Person) -> str | None:
    """The body of the first message under the divider in the tab (None: no divider)."""
    lines = person.client.texts()
    if NEW_MESSAGES not in lines:
        return None
    after = lines[lines.index(NEW_MESSAGES) + 1 :]
    bodies = set(person.bodies())
    return next((text for text in after if text in bodies), None)


async def post(served, room: str, text: str) -> None:
    await served.confab.service.post_message(room, f"script-{next(_sessions)}", "Gus", text)


async def test_the_divider_sits_above_the_first_unread_in_another_browser_too(bot_dir, tmp_path):
    async with serve_confab(bot_dir, tmp_path) as served:
        await served.confab.service.directory.create_room("design", "", None)
        await post(served, "design", "read before")
        ann = await Person.open(served.url, on_invoke=BrowserPrefs())
        await ann.join("Ann")
        person = await served.confab.store.person_by_name_key(name_key("Ann"))
        await served.confab.people.set_password(person.id, PASSWORD)
        await open_room(ann, "design")
        assert divider_before(ann) is None  # nothing new since she never opened it
        await open_room(ann, "general")
        await post(served, "design", "first new one")
        await post(served, "design", "second new one")
        await ann.client.wait_for(lambda: badges(ann, "# design") == ["2"])

        # Another browser (no device token): she signs in, and the server knows where she was.
        other = await Person.open(served.url, on_invoke=BrowserPrefs())
        await other.client.submit(other.name_field, "Ann")
        field = await other.client.wait_for(
            lambda: other.client.find_one(
                "TextField", label="Password", visible=lambda v: v is not False
            ),
            timeout=10,
        )
        await other.client.submit(field, PASSWORD)
        await shows(other, "general")
        await other.client.wait_for(lambda: badges(other, "# design") == ["2"], timeout=10)
        await open_room(other, "design")
        await other.client.wait_for(lambda: divider_before(other) == "first new one", timeout=10)
        # Read there: the first browser's count goes, and entering shows no divider any more.
        await ann.client.wait_for(lambda: badges(ann, "# design") == [], timeout=10)
        await open_room(ann, "design")
        await ann.sees("second new one")
        assert divider_before(ann) is None
        for tab in (ann, other):
            assert tab.client.errors == []
            await tab.close()

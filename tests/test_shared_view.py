"""The shared conversation: rendered once, sent to every tab that shows it, and left when a tab needs its own."""

from datetime import datetime, timezone

import flet as ft
import pytest

from chat.domain import Message
from chat.names import name_key
from chat.ui.message_row import ChatMessage
from tests.confab_harness import Person, serve_confab


@pytest.fixture(scope="module")
def bot_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("bot")


def shared_conversation(served):
    from chat.ui.shared_view import _views

    (shared,) = list(_views[served.confab.service].room("general")._conversations.values())
    return shared


async def test_readers_share_one_rendering_and_writers_get_their_own(bot_dir, tmp_path):
    async with serve_confab(bot_dir, tmp_path) as served:
        readers = [await Person.open(served.url) for _ in range(3)]
        for reader, name in zip(readers, ("Rita", "Ria", "Rob")):
            await reader.join(name)  # a tab that has not joined is shown nothing
        writer = await Person.open(served.url)
        await writer.join("Wes")
        await served.confab.service.post_message("general", "direct", "Carol", "before anyone wrote")
        for person in (*readers, writer):
            await person.sees("before anyone wrote")

        shared = shared_conversation(served)
        assert len(shared.viewers) == 4  # every tab shows the one rendering

        await writer.say("my first words")
        assert len(shared.viewers) == 3  # the writer's tab now has its own view
        assert any("Wes (you)" in line for line in writer.lines())
        for reader in readers:
            await reader.sees("my first words")
            assert not any("(you)" in line for line in reader.lines())
        # The writer's own view kept the conversation so far, in order.
        assert writer.bodies()[-2:] == ["before anyone wrote", "my first words"]

        # Under her name but not by her (no person): not styled as hers.
        await served.confab.service.post_message("general", "direct", "Rita", "not really Rita")
        await readers[0].sees("not really Rita")
        assert not any("(you)" in line for line in readers[0].lines())
        rita = await served.confab.store.person_by_name_key(name_key("Rita"))
        await served.confab.service.join("general", "elsewhere", "Rita", rita.id)  # her other browser
        await served.confab.service.post_message("general", "elsewhere", "Rita", "Rita, from elsewhere")
        await readers[0].sees("Rita, from elsewhere")
        assert any("Rita (you)" in line for line in readers[0].lines())  # her own, styled in her tab
        assert len(shared.viewers) == 2
        await readers[1].sees("Rita, from elsewhere")
        assert not any("(you)" in line for line in readers[1].lines())

        late = await Person.open(served.url)  # joins a list that has grown since
        await late.join("Lee")
        await late.sees("my first words")
        assert late.bodies() == readers[1].bodies()

        for person in (*readers, writer, late):
            assert person.client.errors == []  # every patch fitted each tab's mirror
            await person.close()


async def test_a_tab_updating_its_page_does_not_take_shared_changes_from_others(bot_dir, tmp_path):
    async with serve_confab(bot_dir, tmp_path) as served:
        alice, bob = await Person.open(served.url), await Person.open(served.url)
        await alice.join("Alice")
        await bob.join("Bob")
        theme = alice.client.find_one("IconButton", tooltip="Switch light/dark")
        for i in range(5):
            await served.confab.service.post_message("general", "direct", "Carol", f"note {i}")
            await alice.client.click(theme)  # a whole-page update in Alice's tab
        for person in (alice, bob):
            await person.client.wait_for(lambda p=person: p.bodies()[-5:] == [f"note {i}" for i in range(5)])
        await alice.close()
        await bob.close()


async def test_paging_back_gives_a_tab_its_own_view_without_touching_the_others(bot_dir, tmp_path):
    async with serve_confab(bot_dir, tmp_path, history_page=20) as served:
        reader, other = await Person.open(served.url), await Person.open(served.url)
        await reader.join("Reader")
        await other.join("Other")
        for i in range(50):
            await served.confab.service.post_message("general", "direct", "Writer", f"note {i}")
        await reader.client.wait_for(lambda: "note 49" in reader.bodies())
        await other.sees("note 49")
        others_view = other.bodies()
        more = reader.client.find_one("TextButton", content="Load earlier messages")
        await reader.client.click(more)
        await reader.client.wait_for(lambda: "note 29" in reader.bodies() and "note 10" in reader.bodies())
        await served.confab.service.post_message("general", "direct", "Writer", "after paging")
        for person in (reader, other):
            await person.sees("after paging")
        assert other.bodies() == others_view + ["after paging"]  # untouched by the paging
        await reader.close()
        await other.close()


async def test_a_list_update_does_not_revisit_rows_already_sent():
    """Frozen rows: Flet's diff of the list returns at once for each old row."""
    import msgpack
    from flet.controls.base_control import BaseControl
    from flet.controls.object_patch import ObjectPatch
    from flet.messaging.protocol import configure_encode_object_for_msgpack

    encode = configure_encode_object_for_msgpack(BaseControl)

    def send(view, before):
        patch, _, _ = ObjectPatch.from_diff(before, view, control_cls=BaseControl)
        msgpack.packb(patch.to_message(), default=encode)  # encoding takes the diff's snapshots

    def message(i):
        return Message(f"m{i}", "general", i, "Ann", f"text {i}", datetime.now(timezone.utc))

    checked = []

    class CountingRow(ChatMessage):
        def before_update(self):
            checked.append(self.message.seq)

    view = ft.ListView(controls=[CountingRow(message(i), own=False, grouped=False) for i in range(50)])
    send(ft.Column([view]), None)  # as when the page holding it was first sent
    for row in view.controls:
        row.freeze()
    checked.clear()
    view.controls.append(CountingRow(message(50), own=False, grouped=False))
    send(view, view)
    assert checked == [50]


async def test_a_reader_back_from_a_network_blip_sees_the_shared_conversation_once(bot_dir, tmp_path):
    async with serve_confab(bot_dir, tmp_path) as served:
        alice, reader = await Person.open(served.url), await Person.open(served.url)
        await alice.join("Alice")
        await reader.join("Reader")
        await alice.say("before the blip")
        await reader.sees("before the blip")

        async def alice_talks():
            for i in range(3):
                await alice.say(f"missed {i}")

        back = await reader.blip(served.url, while_away=alice_talks)  # still showing the shared view
        await back.client.wait_for(lambda: "missed 2" in back.bodies())
        await alice.say("after the blip")
        await back.sees("after the blip")
        expected = ["before the blip", "missed 0", "missed 1", "missed 2", "after the blip"]
        assert back.bodies() == expected and back.client.errors == []
        assert len(shared_conversation(served).viewers) == 1  # still the shared rendering
        await alice.close()
        await back.close()


async def test_a_moderator_who_asks_for_delete_gets_a_rendering_of_their_own(bot_dir, tmp_path):
    async with serve_confab(bot_dir, tmp_path) as served:
        ada, rita = await Person.open(served.url), await Person.open(served.url)
        await ada.join("Ada")  # the first person: an admin
        await rita.join("Rita")
        await served.confab.service.post_message("general", "direct", "Carol", "hello all")
        await ada.sees("hello all")
        await rita.sees("hello all")
        assert len(shared_conversation(served).viewers) == 2  # an admin reads like anyone
        assert not ada.client.find("TextButton", content="Delete")
        (toggle,) = [
            item
            for item in ada.client.find("PopupMenuItem")
            if item.get("content") == "Show or hide Delete on messages"
        ]
        await ada.client.click(toggle)
        await ada.client.wait_for(lambda: ada.client.find("TextButton", content="Delete"))
        assert len(shared_conversation(served).viewers) == 1  # Rita's tab only
        assert not rita.client.find("TextButton", content="Delete")
        await ada.client.click(toggle)  # and hidden again
        await ada.client.wait_for(lambda: not ada.client.find("TextButton", content="Delete"))
        for person in (ada, rita):
            await person.close()

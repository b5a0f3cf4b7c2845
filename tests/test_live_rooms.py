"""The live room list over Flet's wire protocol: unread counts, mention badges, activity order."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from chat.names import name_key
from chat.reads import SAVE_DELAY
from chat.ui.room_chrome import UNREAD_MENTIONS_NAME
from chat.ui.outage_copy import WRITE_INTERVAL
from tests.confab_harness import BrowserPrefs, Person, serve_confab
from tests.test_room_isolation import quiet
from tests.test_room_switching import open_room, room_items, room_title_of, shows, sidebar_buttons

pytestmark = pytest.mark.asyncio

_sessions = itertools.count()


@pytest.fixture(scope="module")
def bot_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("bot")


def badges(person: Person, title: str) -> list[str]:
    """What the sidebar's item for `title` shows beside its name: ["@", "2"], ["1"], or []."""
    buttons = [b for b in sidebar_buttons(person) if room_title_of(b) == title]
    assert buttons, f"no {title} in the list"
    shown = person.client.texts(buttons[0])
    return [text for text in shown if text in ("@",) or text.rstrip("+").isdigit()]


def menu_badged(person: Person) -> bool:
    """True when the drawer's menu button carries the unread-mention badge."""
    button = person.client.find_one("IconButton", tooltip=UNREAD_MENTIONS_NAME)
    return button is not None and button.get("badge") is not None


async def post(served, room: str, text: str, author: str = "Gus") -> None:
    await served.confab.service.post_message(room, f"script-{next(_sessions)}", author, text)


async def test_another_rooms_messages_count_and_badge_and_opening_it_clears_them_for_good(
    bot_dir, tmp_path
):
    async with serve_confab(bot_dir, tmp_path) as served:
        directory = served.confab.service.directory
        await directory.create_room("design", "Pixels", None)
        prefs = BrowserPrefs()
        ann = await Person.open(served.url, on_invoke=prefs)
        await ann.join("Ann")
        await open_room(ann, "design")  # opened once: from now on design is counted for her
        await open_room(ann, "general")
        await ann.client.wait_for(lambda: room_items(ann)[0] == "# general")
        assert badges(ann, "# design") == []
        frames = await quiet(ann, for_seconds=WRITE_INTERVAL + 0.5)

        await post(served, "design", "a plain one")
        await ann.client.wait_for(lambda: badges(ann, "# design") == ["1"])
        assert room_items(ann)[0] == "# design"  # the latest activity comes first
        assert not menu_badged(ann)
        assert await quiet(ann) == frames + 1  # one small patch: the sidebar (the drawer is shut)
        await post(served, "design", "@Ann have a look")
        await ann.client.wait_for(lambda: badges(ann, "# design") == ["@", "2"])
        assert menu_badged(ann)
        assert await quiet(ann) == frames + 3  # the item, then the menu button's badge
        await directory.create_room("later", "", None)  # every list is read again
        await ann.client.wait_for(lambda: "# later" in room_items(ann))
        assert badges(ann, "# design") == ["@", "2"]  # what it counted stays
        # The tab shows general: not one row of design reached it.
        assert not {"a plain one", "@Ann have a look"} & set(ann.bodies())
        assert badges(ann, "# general") == []

        # A reload (the browser remembers the person) shows the same unread state.
        again = await Person.open(served.url, on_invoke=prefs)
        await again.client.wait_for(lambda: badges(again, "# design") == ["@", "2"])
        await again.close()

        await open_room(ann, "design")
        await ann.sees("@Ann have a look")
        await ann.client.wait_for(lambda: not menu_badged(ann))
        await open_room(ann, "general")
        assert badges(ann, "# design") == []

        await asyncio.sleep(SAVE_DELAY + 0.5)  # the read is saved within SAVE_DELAY
        person = await served.confab.store.person_by_name_key(name_key("Ann"))
        marks = await served.confab.store.read_marks(person.id)
        assert marks["design"] == (await served.confab.service.history("design"))[-1].seq
        later = await Person.open(served.url, on_invoke=prefs)  # another tab: read there too
        await shows(later, "general")
        assert badges(later, "# design") == []
        for tab in (ann, later):
            assert tab.client.errors == []
            await tab.close()


async def test_a_direct_message_is_badged_and_a_public_room_never_opened_is_not_counted(
    bot_dir, tmp_path
):
    async with serve_confab(bot_dir, tmp_path) as served:
        directory = served.confab.service.directory
        await directory.create_room("lobby", "", None)
        ann = await Person.open(served.url, on_invoke=BrowserPrefs())
        await ann.join("Ann")
        gus = await served.confab.people.create_person("Gus")
        dm = await directory.direct(gus, "Ann")
        await ann.client.wait_for(lambda: "@ Gus and Ann" in room_items(ann))
        service = served.confab.service
        await service.join(dm.name, "script-gus", "Gus", gus.id)  # a DM takes only its two
        await service.post_message(dm.name, "script-gus", "Gus", "no mention needed")
        await ann.client.wait_for(lambda: badges(ann, "@ Gus and Ann") == ["@", "1"])
        assert menu_badged(ann)
        frames = await quiet(ann, for_seconds=WRITE_INTERVAL + 0.5)
        for n in range(3):
            await post(served, "lobby", f"busy public room {n}")
        assert await quiet(ann) == frames  # never opened: listed, not counted, not one frame
        assert badges(ann, "# lobby") == []
        assert ann.client.errors == []
        await ann.close()


async def lifecycle(person: Person, state: str) -> None:
    await person.client.send_event(1, "app_lifecycle_state_change", {"state": state})  # the page


async def test_a_hidden_tab_reads_nothing_until_it_is_seen_again(bot_dir, tmp_path):
    async with serve_confab(bot_dir, tmp_path) as served:
        ann = await Person.open(served.url, on_invoke=BrowserPrefs())
        await ann.join("Ann")
        person = await served.confab.store.person_by_name_key(name_key("Ann"))
        await lifecycle(ann, "hide")
        await lifecycle(ann, "pause")
        await asyncio.sleep(0.3)
        await post(served, "general", "while you were away")
        await ann.sees("while you were away")
        newest = (await served.confab.service.history("general"))[-1].seq
        await asyncio.sleep(SAVE_DELAY + 0.5)
        assert (await served.confab.store.read_marks(person.id))["general"] < newest

        await lifecycle(ann, "show")
        await lifecycle(ann, "resume")
        await asyncio.sleep(SAVE_DELAY + 0.5)
        assert (await served.confab.store.read_marks(person.id))["general"] == newest
        assert ann.client.errors == []
        await ann.close()


async def test_reading_a_room_in_one_tab_clears_its_count_in_the_persons_other_tabs(
    bot_dir, tmp_path
):
    async with serve_confab(bot_dir, tmp_path) as served:
        await served.confab.service.directory.create_room("design", "", None)
        prefs = BrowserPrefs()  # one browser, two tabs: the same person in both
        first = await Person.open(served.url, on_invoke=prefs)
        await first.join("Ann")
        await open_room(first, "design")
        await open_room(first, "general")
        second = await Person.open(served.url, on_invoke=prefs)
        await shows(second, "general")
        await post(served, "design", "@Ann one for you")
        for tab in (first, second):
            await tab.client.wait_for(lambda tab=tab: badges(tab, "# design") == ["@", "1"])

        await open_room(second, "design")
        await first.client.wait_for(lambda: badges(first, "# design") == [])
        await first.client.wait_for(lambda: not menu_badged(first))
        for tab in (first, second):
            assert tab.client.errors == []
            await tab.close()

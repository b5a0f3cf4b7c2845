"""The frame around the conversation, without a browser."""

from types import SimpleNamespace

import flet as ft

from chat.ui.presence_panel import PresencePanel
from chat.ui.room_chrome import RoomChrome


async def test_a_resize_before_the_page_is_laid_out_is_applied_not_an_error():
    # A room switch makes a new frame, then awaits the store before laying the page out:
    # a resize (a phone turned, a window dragged) can come in between.
    page = SimpleNamespace(theme=None, dark_theme=None, drawer=None, appbar=None, on_resize=None, width=1280)
    page.update = lambda: None
    rooms = (ft.Column(), ft.Column())
    chrome = RoomChrome(page, "# general", PresencePanel(), memory=None, rooms=rooms)
    await page.on_resize(SimpleNamespace(width=390))
    assert chrome.rooms_button.visible and not chrome.side.visible
    chrome.layout(ft.Column(), ft.Column())


async def test_a_phone_bar_gives_the_app_name_s_width_to_the_room_name():
    # Menu, room name, people, search and theme share 390 px: with "Confab" too, the
    # room's name was cut to "# …".
    page = SimpleNamespace(theme=None, dark_theme=None, drawer=None, appbar=None, on_resize=None, width=1280)
    page.update = lambda: None
    chrome = RoomChrome(page, "# type-crit", PresencePanel(), memory=None, rooms=(ft.Column(), ft.Column()))
    chrome.layout(ft.Column(), ft.Column())
    assert chrome.wordmark.visible
    await page.on_resize(SimpleNamespace(width=390))
    assert not chrome.wordmark.visible
    await page.on_resize(SimpleNamespace(width=1280))
    assert chrome.wordmark.visible

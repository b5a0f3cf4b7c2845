"""The bots file's colours reach what people see: the avatars of a bot's replies and of the
online list, with letters or an icon that stay readable on whatever colour was given."""

import flet as ft
import pytest

from chat.domain import MessageKind
from chat.ui.look import AVATAR_COLORS, avatar_color, ink_on, is_bot, know_bots
from chat.ui.message_row import ChatMessage
from chat.ui.presence_panel import PresencePanel
from tests.test_contrast import contrast
from tests.test_message_row import message, walk


@pytest.fixture(autouse=True)
def two_bots():
    know_bots([("sage", "#3B82F6"), ("Sage the Wise", "#3B82F6"), ("parrot", "#FDE68A")])
    yield
    know_bots([])


def avatars(control):
    return [c for c in walk(control) if isinstance(c, ft.CircleAvatar)]


def test_a_bots_configured_colour_is_its_avatar_colour_by_handle_or_name():
    assert avatar_color("sage") == avatar_color("SAGE") == "#3B82F6"
    assert avatar_color("Sage the Wise") == "#3B82F6"
    assert avatar_color("Alice") in AVATAR_COLORS  # people keep theirs
    assert is_bot("Parrot") and not is_bot("Alice")


def test_a_bot_without_a_colour_keeps_the_colour_its_name_gives():
    know_bots([("owl", "")])
    assert is_bot("owl") and avatar_color("owl") in AVATAR_COLORS


def test_the_bots_reply_row_wears_its_colour_with_readable_letters():
    row = ChatMessage(message(author="parrot", kind=MessageKind.BOT), own=False, grouped=False)
    [avatar] = avatars(row)
    assert avatar.bgcolor == "#FDE68A"
    assert contrast(avatar.color, "#FDE68A") >= 4.5  # dark letters on a pale yellow


def test_the_online_list_shows_every_bot_with_an_icon_in_its_colour():
    panel = PresencePanel()
    panel.show(("Alice", "parrot", "sage"))
    alice, parrot, sage = (avatars(entry)[0] for entry in panel.names.controls)
    assert isinstance(alice.content, ft.Text)
    assert isinstance(parrot.content, ft.Icon) and isinstance(sage.content, ft.Icon)
    assert (parrot.bgcolor, sage.bgcolor) == ("#FDE68A", "#3B82F6")
    assert contrast(parrot.content.color, "#FDE68A") >= 4.5


@pytest.mark.parametrize(
    "background", [*AVATAR_COLORS, "#FFFFFF", "#FDE68A", "#000000", "#3B82F6", "#22C55E"]
)
def test_the_ink_on_an_avatar_is_the_more_readable_of_light_and_dark(background):
    ink = ink_on(background)
    other = "#1B1B1F" if ink == "#FFFFFF" else "#FFFFFF"
    assert contrast(ink, background) >= contrast(other, background)
    assert contrast(ink, background) >= 4.5

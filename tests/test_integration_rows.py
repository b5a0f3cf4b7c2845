"""A webhook's message is shown as an integration's, never as a person's of the same name."""

from datetime import UTC

import flet as ft

from chat.domain import MessageKind
from chat.ui.message_row import ChatMessage, continues
from chat.ui.row_text import accessible_name
from tests.test_message_row import message, texts, walk


def test_an_integration_row_is_marked_and_read_as_one():
    hook = message(author="Alice", text="deployed", kind=MessageKind.INTEGRATION)
    row = ChatMessage(hook, own=False, grouped=False, tz=UTC)
    shown = texts(row)
    assert "Alice" in shown and "(integration)" in shown
    assert any(isinstance(c, ft.Icon) and c.icon == ft.Icons.WEBHOOK for c in walk(row))
    assert accessible_name(hook, UTC).startswith("Alice (integration), ")
    person = ChatMessage(message(author="Alice"), own=False, grouped=False, tz=UTC)
    assert "(integration)" not in texts(person)


def test_an_integration_never_continues_a_person_of_the_same_name():
    person = message(author="Deploys")
    hook = message(author="Deploys", minutes=1, kind=MessageKind.INTEGRATION)
    assert not continues(person, hook) and not continues(hook, person)
    assert continues(hook, message(author="Deploys", minutes=2, kind=MessageKind.INTEGRATION))

"""Flet finds an event's payload type once per control class, not on every event (chat/flet_wire.py)."""

from __future__ import annotations

import flet as ft
import pytest
from flet.controls import base_control
from flet.controls.control_event import get_event_field_type as flet_resolves

from chat import flet_wire
from chat.ui.composer import MessageField
from tests.confab_harness import Person, serve_confab
from tests.test_room_integration import bot_dir  # noqa: F401  (the module's trained bot)

HANDLERS = [
    (MessageField(hint_text="x"), "on_change"),
    (MessageField(hint_text="x"), "on_submit"),
    (ft.TextField(), "on_focus"),
    (ft.IconButton(icon=ft.Icons.SEND), "on_click"),
    (ft.Button("x"), "on_click"),
    (ft.ListView(), "on_scroll"),
    (ft.TextField(), "not_a_handler"),
]


@pytest.mark.parametrize(("control", "field"), HANDLERS, ids=[f"{type(c).__name__}.{f}" for c, f in HANDLERS])
def test_the_cached_answer_is_flets_answer(control, field):
    flet_wire.cache_event_types()
    cached = base_control.get_event_field_type
    assert cached is not flet_resolves
    assert cached(control, field) == flet_resolves(control, field)
    assert cached(control, field) == flet_resolves(control, field)  # asked again: the kept answer


async def test_keystrokes_resolve_their_event_type_once(bot_dir, tmp_path, monkeypatch):  # noqa: F811
    calls: list[str] = []

    def counted(control, field_name):
        calls.append(field_name)
        return flet_resolves(control, field_name)

    monkeypatch.setattr(base_control, "get_event_field_type", counted)  # what Flet 1.0.5 calls, counted
    async with serve_confab(bot_dir, tmp_path) as served:  # installs the cache over it
        alice = await Person.open(served.url)
        await alice.join("Alice")
        field, value = alice.composer, ""
        for key in "forty keys of typing, reported one by one":
            value += key
            await alice.client.send_event(field, "change", value)
        await alice.client.send_event(field, "submit", None)
        await alice.sees(value)
        await alice.close()
    assert calls.count("on_change") == 1, calls.count("on_change")

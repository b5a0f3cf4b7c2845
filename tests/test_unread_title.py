"""The tab title counts what arrives while the tab is hidden, and resets when it is seen."""

import flet as ft

from chat.ui.unread_title import UnreadTitle

S = ft.AppLifecycleState


def test_a_visible_tab_keeps_its_title():
    title = UnreadTitle()
    assert not title.message_arrived()
    assert title.title() == "Confab"


def test_a_hidden_tab_counts_and_resets_when_seen():
    title = UnreadTitle()
    assert not title.lifecycle(S.INACTIVE)  # lost focus, still on screen
    assert not title.message_arrived()
    title.lifecycle(S.HIDE)
    title.lifecycle(S.PAUSE)
    assert title.message_arrived() and title.message_arrived() and title.message_arrived()
    assert title.title() == "(3) Confab"
    assert title.lifecycle(S.SHOW) or title.lifecycle(S.RESUME)
    assert title.title() == "Confab"
    assert not title.message_arrived()

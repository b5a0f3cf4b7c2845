"""The composer's notice under its field: a lock, a mute, and a mute that ends by itself."""

import asyncio
from datetime import timedelta

import pytest

from chat.domain import utc_now
from chat.ui.composer import Composer
from chat.ui.posting_notice import LOCKED_NOTICE, PostingNotice

pytestmark = pytest.mark.asyncio


async def send(text, client_id):
    pass


async def test_a_lock_outranks_a_mute_and_each_goes_when_lifted():
    composer = Composer(send)
    notice = PostingNotice(composer)
    until = utc_now() + timedelta(hours=1)
    notice.show(locked=False, muted_until=until)
    assert composer.field.helper == f"A moderator muted you here until {until:%Y-%m-%d %H:%M} UTC."
    notice.lock_changed(True)
    assert composer.field.helper == LOCKED_NOTICE
    notice.lock_changed(False)
    assert "muted you here" in composer.field.helper
    notice.muted(None)
    assert composer.field.helper is None
    notice.close()


async def test_a_mute_notice_goes_when_the_mute_ends():
    composer = Composer(send)
    notice = PostingNotice(composer)
    notice.muted(utc_now() + timedelta(seconds=0.1))
    assert "muted you here" in composer.field.helper
    await asyncio.sleep(0.3)
    assert composer.field.helper is None
    notice.muted(utc_now() - timedelta(seconds=1))  # over already: nothing to say
    assert composer.field.helper is None


async def test_a_tab_with_nothing_to_say_sends_nothing():
    composer = Composer(send)
    sent = []
    composer.show_notice = sent.append
    notice = PostingNotice(composer)
    notice.show(locked=False, muted_until=None)
    notice.lock_changed(False)
    assert sent == []
    notice.lock_changed(True)
    notice.lock_changed(True)
    assert sent == [LOCKED_NOTICE]

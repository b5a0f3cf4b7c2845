"""How one message looks: grouping, own messages, system lines, status, styles."""

from datetime import timedelta, timezone

import flet as ft

from chat.domain import Message, MessageKind, MessageStatus, utc_now
from chat.message_meta import MessageMeta
from chat.ui.message_row import ChatMessage, continues


def message(author="Alice", text="hello", minutes=0, **fields) -> Message:
    return Message(
        id=f"{author}-{minutes}-{text}", room="general", seq=1, author=author, text=text,
        created_at=utc_now() + timedelta(minutes=minutes), **fields,
    )


def walk(control):
    """Every control under `control`, itself included."""
    yield control
    for name in ("content", "controls"):
        child = getattr(control, name, None)
        for item in child if isinstance(child, list) else [child]:
            if isinstance(item, ft.Control):
                yield from walk(item)


def texts(row):
    return [c.value for c in walk(row) if isinstance(c, (ft.Text, ft.Markdown))]


def test_consecutive_messages_by_one_person_are_grouped():
    first = message(minutes=0)
    assert continues(first, message(minutes=2))
    assert not continues(first, message(author="Bob", minutes=2))
    one_person = message(author_id="p-1")
    assert continues(one_person, message(minutes=2, author_id="p-1"))
    assert not continues(one_person, message(minutes=2, author_id="p-2"))  # same name, someone else
    assert not continues(first, message(minutes=6))  # a pause starts a new group
    assert not continues(message(kind=MessageKind.SYSTEM), message())
    assert not continues(None, first)


def test_a_grouped_row_has_no_avatar_or_name():
    full = ChatMessage(message(), own=False, grouped=False)
    follow_up = ChatMessage(message(minutes=1), own=False, grouped=True)
    assert any(isinstance(c, ft.CircleAvatar) for c in walk(full))
    assert "Alice" in texts(full)
    assert not any(isinstance(c, ft.CircleAvatar) for c in walk(follow_up))
    assert texts(follow_up) == ["hello"]


def test_a_follow_up_that_may_be_taller_than_a_phone_shows_its_name_and_time_not_a_tooltip():
    tall_text = "\n\n".join(f"Line {n} of a message taller than the screen" for n in range(40))
    short = ChatMessage(message(minutes=1), own=False, grouped=True)
    assert short.tooltip is not None  # a follow-up's time, on hover or a long press
    tall = ChatMessage(message(text=tall_text, minutes=1), own=False, grouped=True)
    assert tall.tooltip is None and not tall.grouped
    assert "Alice" in texts(tall)
    long_line = ChatMessage(message(text="word " * 200, minutes=1), own=False, grouped=True)
    assert long_line.tooltip is None  # one paragraph, wrapped over many lines on a phone


def test_own_messages_look_different():
    own = ChatMessage(message(), own=True, grouped=False)
    other = ChatMessage(message(), own=False, grouped=False)
    assert "Alice (you)" in texts(own) and "Alice (you)" not in texts(other)
    bubbles = [c for c in walk(own) if isinstance(c, ft.Container) and c.bgcolor == ft.Colors.PRIMARY_CONTAINER]
    assert bubbles and not [c for c in walk(other) if isinstance(c, ft.Container) and c.bgcolor]


def test_system_lines_are_centred_italic_and_timed_in_the_readers_zone():
    joined = message(author="system", text="Alice joined", kind=MessageKind.SYSTEM)
    tokyo = timezone(timedelta(hours=9))
    row = ChatMessage(joined, own=False, grouped=False, tz=tokyo)
    (line,) = [c for c in walk(row) if isinstance(c, ft.Text)]
    assert line.italic and line.text_align == ft.TextAlign.CENTER
    assert line.value == f"Alice joined · {joined.created_at.astimezone(tokyo):%H:%M}"


def test_bodies_are_markdown_with_styles_only_where_needed():
    plain = ChatMessage(message(text="just words"), own=False, grouped=False)
    rich = ChatMessage(message(text="see [x](https://a.example) and `code`"), own=False, grouped=False)
    (plain_md,) = [c for c in walk(plain) if isinstance(c, ft.Markdown)]
    (rich_md,) = [c for c in walk(rich) if isinstance(c, ft.Markdown)]
    assert plain_md.code_style_sheet is None and plain_md.md_style_sheet is None
    assert rich_md.code_style_sheet is not None and rich_md.md_style_sheet is not None


def test_no_text_in_a_row_is_selectable():
    # Flutter makes each selectable text a Tab stop with no focus to show (test_browser_a11y.py).
    async def stop(message, page):
        return None

    rows = [
        ChatMessage(message(text="see `this`\n```\nx = 1\n```"), own=True, grouped=False, starts_day=True),
        ChatMessage(message(minutes=1), own=False, grouped=True),
        ChatMessage(message(author="bot", text="half", kind=MessageKind.BOT, status=MessageStatus.STREAMING),
                    own=False, grouped=False, display_name="Confab Bot", on_stop=stop),
        ChatMessage(message(author="system", text="Bob joined", kind=MessageKind.SYSTEM), own=False, grouped=False),
    ]
    shown = [c for row in rows for c in walk(row) if isinstance(c, (ft.Text, ft.Markdown))]
    assert len(shown) >= len(rows) and not [c for c in shown if c.selectable], shown


def test_a_streaming_reply_offers_stop_and_a_failed_one_says_why():
    async def stop(message, page):
        return None

    streaming = message(author="bot", text="half", kind=MessageKind.BOT, status=MessageStatus.STREAMING)
    row = ChatMessage(streaming, own=False, grouped=False, display_name="Confab Bot", on_stop=stop)
    assert "writing…" in texts(row)
    assert [c for c in walk(row) if isinstance(c, ft.TextButton) and c.content == "Stop"]
    failed = streaming.with_text("half", MessageStatus.FAILED, MessageMeta(error="The model server answered 500."))
    row.show(failed)
    assert "The model server answered 500." in texts(row)
    assert not [c for c in walk(row) if isinstance(c, ft.TextButton)]


def test_a_viewer_who_may_not_stop_sees_who_asked_instead():
    asked = message(author="bot", text="half", kind=MessageKind.BOT, status=MessageStatus.STREAMING,
                    meta=MessageMeta(asked_by="Alice"))
    row = ChatMessage(asked, own=False, grouped=False, display_name="Confab Bot")
    assert "writing… · asked by Alice" in texts(row) and not row.offers_stop
    assert not [c for c in walk(row) if isinstance(c, ft.TextButton)]
    row.show(asked.with_text("half and more"))
    row.show(asked.with_text("whole", MessageStatus.DONE))
    assert not any("asked by" in (t or "") for t in texts(row))  # only while it is being written


def test_a_deleted_message_is_a_tombstone_under_its_author():
    row = ChatMessage(message(text="rude"), own=False, grouped=False)
    row.show(message(text="", deleted_by="p-mod"))
    assert "message deleted by a moderator" in texts(row)
    assert "rude" not in texts(row) and "Alice" in texts(row)
    assert row._named.label.endswith("(message deleted by a moderator)")


def test_only_a_moderators_row_offers_delete_and_never_on_a_tombstone():
    async def delete(message, page):
        pass

    def delete_buttons(row):
        return [c for c in walk(row) if isinstance(c, ft.TextButton) and c.content == "Delete"]

    plain = ChatMessage(message(), own=False, grouped=False)
    assert not plain.offers_delete and not delete_buttons(plain)
    moderated = ChatMessage(message(), own=False, grouped=True, on_delete=delete)
    assert moderated.offers_delete and len(delete_buttons(moderated)) == 1
    moderated.show(message(text="", deleted_by="p-mod"))
    assert not moderated.offers_delete and not delete_buttons(moderated)


def test_the_own_message_menu_sits_beside_the_message_not_on_a_line_of_its_own():
    async def tap(*_):
        pass

    own = ChatMessage(message(), own=True, grouped=False, on_edit=tap, on_delete_own=tap)
    (menu,) = [c for c in walk(own) if isinstance(c, ft.PopupMenuButton)]
    (line,) = [c for c in walk(own) if isinstance(c, ft.Row) and menu in c.controls]
    assert isinstance(line.controls[0], ft.Semantics)  # the message itself, then its buttons
    deleted = message(deleted_by="Alice")
    gone = ChatMessage(deleted, own=True, grouped=False, on_edit=tap, on_delete_own=tap)
    assert not any(isinstance(c, ft.PopupMenuButton) for c in walk(gone))

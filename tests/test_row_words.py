"""What a row says in words: its accessible name, its full time, and the day headings of a list."""

from datetime import date, datetime, timedelta, timezone

import flet as ft

from chat.domain import Message, MessageKind, MessageStatus
from chat.ui.message_list import MessageList
from chat.ui.message_row import ChatMessage
from chat.ui.row_text import accessible_name, day_heading, full_time

TOKYO = timezone(timedelta(hours=9))
AT = datetime(2026, 12, 2, 5, 5, tzinfo=timezone.utc)  # 14:05 in Tokyo


def message(author="Alice", text="hi Bob!", at=AT, seq=1, **fields) -> Message:
    return Message(id=f"m{seq}", room="general", seq=seq, author=author, text=text, created_at=at, **fields)


def walk(control):
    yield control
    for name in ("content", "controls"):
        child = getattr(control, name, None)
        for item in child if isinstance(child, list) else [child]:
            if isinstance(item, ft.Control):
                yield from walk(item)


def names(row) -> list[str]:
    """Accessible names set on a row: Semantics labels and Text semantics labels."""
    found = [c.label for c in walk(row) if isinstance(c, ft.Semantics) and c.label]
    return found + [c.semantics_label for c in walk(row) if isinstance(c, ft.Text) and c.semantics_label]


def test_a_message_reads_as_author_time_and_text():
    assert accessible_name(message(), TOKYO) == "Alice, 14:05: hi Bob!"
    bot = message(author="bot", text="Sure.", kind=MessageKind.BOT)
    assert accessible_name(bot, TOKYO, "Confab Bot") == "Confab Bot, 14:05: Sure."
    joined = message(author="system", text="Alice joined", kind=MessageKind.SYSTEM)
    assert accessible_name(joined, TOKYO) == "Confab, 14:05: Alice joined"
    writing = message(author="bot", text="Half", kind=MessageKind.BOT, status=MessageStatus.STREAMING)
    assert accessible_name(writing, TOKYO, "Confab Bot") == "Confab Bot, 14:05: Half (still writing)"


def test_every_row_carries_its_name_once_and_the_avatar_letter_is_not_read():
    rows = [
        ChatMessage(message(), own=False, grouped=False, tz=TOKYO),
        ChatMessage(message(), own=True, grouped=False, tz=TOKYO),
        ChatMessage(message(), own=False, grouped=True, tz=TOKYO),
        ChatMessage(message(author="system", text="Alice joined", kind=MessageKind.SYSTEM), own=False, grouped=False, tz=TOKYO),
    ]
    for row in rows:
        (name,) = names(row)
        assert name.startswith(("Alice, 14:05: ", "Confab, 14:05: ")), name
    # The avatar and the text sit inside the named node, which speaks for them.
    named = [c for c in walk(rows[0]) if isinstance(c, ft.Semantics)][0]
    assert named.exclude_semantics and any(isinstance(c, ft.CircleAvatar) for c in walk(named))


def test_a_growing_reply_renames_its_row_and_keeps_stop_reachable():
    async def stop(message, page):
        return None

    first = message(author="bot", text="One", kind=MessageKind.BOT, status=MessageStatus.STREAMING)
    row = ChatMessage(first, own=False, grouped=False, tz=TOKYO, display_name="Confab Bot", on_stop=stop)
    named = [c for c in walk(row) if isinstance(c, ft.Semantics)][0]
    # Stop is outside the node whose children are hidden from screen readers.
    assert not [c for c in walk(named) if isinstance(c, ft.TextButton)]
    assert [c for c in walk(row) if isinstance(c, ft.TextButton) and c.content == "Stop"]
    sent = row.show(first.with_text("One two"))
    assert sent is named and named.label == "Confab Bot, 14:05: One two (still writing)"
    assert [c.value for c in walk(sent) if isinstance(c, ft.Markdown)] == ["One two"]


def test_a_follow_up_shows_its_full_time_on_hover_and_a_first_row_paints_it():
    row = ChatMessage(message(), own=False, grouped=True, tz=TOKYO)
    assert row.tooltip == full_time(AT, TOKYO) == "Wednesday 2 December 2026, 14:05"
    first = ChatMessage(message(), own=False, grouped=False, tz=TOKYO)
    header = [c for c in walk(first) if isinstance(c, ft.Text) and c.value == "Alice"][0]
    assert header.spans[0].text.strip() == "14:05"


def test_day_headings_say_today_yesterday_or_the_date():
    today = date(2026, 12, 2)
    assert day_heading(today, today) == "Today"
    assert day_heading(date(2026, 12, 1), today) == "Yesterday"
    assert day_heading(date(2026, 11, 30), today) == "Monday 30 November"
    assert day_heading(date(2025, 11, 30), today) == "Sunday 30 November 2025"


def test_a_list_puts_a_heading_above_the_first_row_of_each_day_in_the_readers_zone():
    made = []

    def make_row(msg, grouped, starts_day):
        made.append((msg.text, grouped, starts_day))
        return ChatMessage(msg, own=False, grouped=grouped, starts_day=starts_day, tz=TOKYO)

    async def load_earlier(e):
        return None

    rows = MessageList(make_row, limit=50, on_load_earlier=load_earlier, tz=TOKYO)
    # 14:50 and 14:54 UTC on 1 December are 23:50 and 23:54 in Tokyo; 15:10 UTC is 00:10 on the 2nd.
    evening = datetime(2026, 12, 1, 14, 50, tzinfo=timezone.utc)
    rows.posted(message(text="late", at=evening, seq=1))
    rows.posted(message(text="later", at=evening + timedelta(minutes=4), seq=2))
    rows.posted(message(text="after midnight", at=evening + timedelta(minutes=20), seq=3))
    assert made == [("late", False, True), ("later", True, False), ("after midnight", False, True)]
    heading = [c.value for c in walk(rows.rows["m3"]) if isinstance(c, ft.Text)][0]
    assert heading == day_heading(date(2026, 12, 2), datetime.now(TOKYO).date())

    # Paging back on the same day: the heading moves up to the older row, never doubles.
    rows.prepend([message(text="earliest", at=evening - timedelta(minutes=30), seq=0)])
    assert rows.view.controls[0].starts_day and not rows.view.controls[1].starts_day

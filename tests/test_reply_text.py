"""The reply text guard: secrets never leave it, whatever the chunking, and replies stop at a length."""

from __future__ import annotations

import pytest

from chat.bot.reply_text import ReplyText, SecretFilter, scrub_secrets

KEY = "sk-canary-1234567890"
TEXT = f"Your key is {KEY}; again:{KEY}. Also sk-canary-12 is not it, nor {KEY[:-1]}!"
EXPECTED = "Your key is [key]; again:[key]. Also sk-canary-12 is not it, nor " + KEY[:-1] + "!"


def every_split(text: str, parts: int) -> list[list[str]]:
    """All ways to cut `text` into `parts` pieces (some maybe empty) at two or fewer cut points."""
    out = []
    for a in range(len(text) + 1):
        for b in range(a, len(text) + 1) if parts == 3 else [len(text)]:
            out.append([text[:a], text[a:b], text[b:]])
    return out


def test_a_secret_split_anywhere_across_pieces_never_shows():
    for pieces in every_split(TEXT, 3):
        guard = SecretFilter([KEY, "tok"])  # a three-letter "secret" is a placeholder: ignored
        shown = []
        for piece in pieces:
            shown.append(guard.feed(piece))
            so_far = "".join(shown)
            # Never the key, nor a start of it that then turns into the key: what is shown
            # is always the beginning of the scrubbed whole.
            assert EXPECTED.startswith(so_far), (pieces, so_far)
        assert "".join(shown) + guard.flush() == EXPECTED


def test_one_piece_at_a_time_and_a_reply_cut_short_drops_a_possible_start():
    guard = ReplyText(max_chars=1000, secrets=[KEY])
    for letter in f"see {KEY} and sk-canary-123":
        guard.add(letter)
    assert guard.text == "see [key] and "  # "sk-canary-123" might still become the key
    assert guard.end(complete=False) == "see [key] and "

    whole = ReplyText(max_chars=1000, secrets=[KEY])
    whole.add("see sk-canary-123")
    assert whole.end(complete=True) == "see sk-canary-123"  # the stream ended: it was not the key


def test_scrub_secrets_replaces_longest_first():
    assert scrub_secrets(f"a {KEY} b", [KEY[:10], KEY]) == "a [key] b"
    assert scrub_secrets("abc", ["", "ab"]) == "abc"


@pytest.mark.parametrize("limit", [1, 10, 17])
def test_a_reply_stops_at_its_limit_and_says_it_was_cut(limit):
    text = ReplyText(max_chars=limit)
    accepted = [text.add("0123456789") for _ in range(3)]
    assert text.text == ("0123456789" * 3)[:limit] and text.cut
    assert accepted[-1] is False and accepted[0] is (limit >= 10)
    assert text.end(complete=True) == ("0123456789" * 3)[:limit]


def test_a_reply_exactly_at_the_limit_is_not_cut():
    text = ReplyText(max_chars=10)
    assert text.add("0123456789") is True
    assert text.end(complete=True) == "0123456789" and not text.cut

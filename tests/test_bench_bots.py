"""bench/bots.py: frames are told apart by reply, and an earlier scenario's text never counts."""

from __future__ import annotations

from bench.bots import ReplyWatch, bots_file, reply_text
from chat.config import Settings


def frame(*texts: str) -> bytes:
    return " | ".join(texts).encode()


def test_each_frame_counts_for_the_replies_it_moves_on():
    watch = ReplyWatch("b")
    watch(frame(reply_text(1, 2, "b")), 1.0)
    watch(frame(reply_text(1, 2, "b"), reply_text(2, 1, "b")), 2.0)  # reply 1 did not move
    watch(frame(reply_text(2, 3, "b")), 3.0)
    assert watch.frames == [1.0, 2.0, 3.0]
    assert watch.reply_frames == {1: [1.0], 2: [2.0, 3.0]}
    assert watch.first_seen[2] == {1: 2.0, 2: 3.0, 3: 3.0}
    assert watch.top == {1: 2, 2: 3}


def test_text_of_an_earlier_scenario_resent_with_the_list_does_not_count():
    watch = ReplyWatch("c")
    watch(frame(reply_text(1, 200, "a"), reply_text(2, 200, "b")), 1.0)  # the list, re-sent
    assert watch.top == {} and watch.first_seen == {} and watch.frames == [1.0]


def test_the_three_bots_file_is_a_valid_roster(tmp_path):
    path = tmp_path / "bots.toml"
    path.write_text(bots_file("http://127.0.0.1:9/v1"), encoding="utf-8")
    roster = Settings.from_env({"CHAT_BOTS_FILE": str(path)}, env_file=None).roster
    assert [(b.handle, b.model, b.brain) for b in roster] == [
        ("bot1", "m1", "openai"),
        ("bot2", "m2", "openai"),
        ("bot3", "m3", "openai"),
    ]

"""Vision: a bot whose bots file says `vision = true` gets the room's newest pictures as image
parts, bounded in number and bytes; a bot without it reads that an image was posted."""

from __future__ import annotations

import base64
import io
from dataclasses import replace

from PIL import Image

from tests.bot_helpers import bot_room, close_all, final_replies, open_people
from tests.fake_openai import FakeOpenAI
from tests.test_bots_several import roster


def png(colour: tuple[int, int, int], side: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (side, side), colour).save(out, format="PNG")
    return out.getvalue()


def noisy_png(side: int) -> bytes:
    out = io.BytesIO()
    Image.effect_noise((side, side), 80).convert("RGB").save(out, format="PNG")
    return out.getvalue()


async def post_picture(served, name: str, data: bytes) -> str:
    confab = served.confab
    picture = await confab.uploads.keep("p-test", "general", name, data)
    await confab.service.post_message("general", "s-test", "Alice", "", attachments=[picture])
    return picture.id


def images_of(content) -> list[str]:
    if isinstance(content, str):
        return []
    return [part["image_url"]["url"] for part in content if part["type"] == "image_url"]


def texts_of(content) -> str:
    if isinstance(content, str):
        return content
    return "\n".join(part["text"] for part in content if part["type"] == "text")


async def test_a_vision_bot_gets_the_newest_pictures_within_bounds_and_others_get_words(
    fake_openai: FakeOpenAI, tmp_path
):
    sage, parrot = roster(fake_openai, tmp_path)
    assert (sage.vision, parrot.vision) == (False, False)
    seer = replace(sage, vision=True)
    fake_openai.reply("I see red and blue.", model="think-1")
    fake_openai.reply("Squawk.", model="parrot-1")
    big = noisy_png(700)  # over the byte bound: skipped, the older small ones still fit
    async with bot_room(
        None, tmp_path, bots=(seer, parrot), bot_vision_images=2, bot_vision_bytes=200_000
    ) as served:
        assert len(big) > 200_000
        (alice,) = await open_people(served, "Alice")
        await post_picture(served, "oldest.png", png((0, 255, 0), 40))
        await post_picture(served, "red.png", png((255, 0, 0), 40))
        await post_picture(served, "blue.png", png((0, 0, 255), 40))
        await post_picture(served, "huge.png", big)
        await alice.say("@sage what colours were posted?")
        await final_replies(served, 1)
        await alice.say("@parrot and you?")
        await final_replies(served, 2)

        seen, told = fake_openai.chat_requests
        assert seen.body["model"] == "think-1" and told.body["model"] == "parrot-1"
        urls = [url for m in seen.body["messages"] for url in images_of(m["content"])]
        assert len(urls) == 2  # the two newest that fit, oldest first
        colours = []
        for url in urls:
            head, data = url.split(",", 1)
            assert head == "data:image/png;base64"
            colours.append(Image.open(io.BytesIO(base64.b64decode(data))).getpixel((1, 1)))
        assert colours == [(255, 0, 0), (0, 0, 255)]
        seen_text = "\n".join(texts_of(m["content"]) for m in seen.body["messages"])
        assert "[an image was posted: blue.png]" in seen_text

        # Without vision: words only, and no message carries parts.
        assert all(isinstance(m["content"], str) for m in told.body["messages"])
        told_text = "\n".join(m["content"] for m in told.body["messages"])
        for name in ("oldest.png", "red.png", "blue.png", "huge.png"):
            assert f"[an image was posted: {name}]" in told_text
        assert "base64" not in told_text
        await close_all(alice)


def test_the_bots_file_declares_vision(fake_openai: FakeOpenAI, tmp_path):
    _, parrot = roster(fake_openai, tmp_path, extra="vision = true")
    assert parrot.vision is True

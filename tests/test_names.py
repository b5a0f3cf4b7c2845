"""Names people can trust: look-alikes collide, invisible characters are refused, real names pass."""

import pytest

from chat.bus.memory import MemoryBus
from chat.config import Settings
from chat.names import _prototypes, clean_name, name_key
from chat.rules import Rejected
from chat.service import ChatService
from chat.store.sqlite import SQLiteStore

RESERVED = ("bot", "Confab Bot", "system")
TAKEN = ("Alice",)


def clean(raw: str, taken=TAKEN) -> str:
    return clean_name(raw, max_chars=32, reserved=RESERVED, taken=taken)


@pytest.mark.parametrize(
    "alike, original",
    [
        ("Аlice", "Alice"),  # Cyrillic А
        ("Ａlice", "Alice"),  # full-width
        ("Alice\u00ad", "Alice"),  # soft hyphen
        ("Alice\u3164", "Alice"),  # Hangul filler
        ("A\u200blice", "Alice"),  # zero-width space
        ("AIice", "Alice"),  # capital i for l
        ("ALICE", "Alice"),
        ("ＢＯＴ", "bot"),
        ("b0t", "bot"),
        ("@bot", "bot"),
        ("Confab\u00a0Bot", "Confab Bot"),
        ("Cοnfab Bot", "Confab Bot"),  # Greek omicron
        ("  confab   bot ", "Confab Bot"),
        ("ѕystem", "system"),  # Cyrillic dze
        ("rnary", "Mary"),
    ],
)
def test_look_alikes_share_a_key(alike, original):
    assert name_key(alike) == name_key(original)


@pytest.mark.parametrize(
    "one, other",
    [
        ("José", "Jose"),
        ("Zoë", "Zoe"),
        ("Олег", "Oleg"),
        ("Ελένη", "Eleni"),
        ("李小龙", "李小虎"),
        ("محمد", "محمود"),
        ("Alice", "Alicia"),
        ("Ann", "Anne"),
        ("Confab Bot", "ConfabBot"),
    ],
)
def test_different_names_keep_different_keys(one, other):
    assert name_key(one) != name_key(other)


@pytest.mark.parametrize(
    "raw, expected, taken",
    [
        ("  Alice  ", "Alice", ()),
        ("Ada\u00a0 \u3000\tLovelace", "Ada Lovelace", ()),  # NBSP and ideographic space
        ("Jose\u0301", "José", ("Jose",)),  # composed for display; the accent tells them apart
        ("Zoë", "Zoë", ("Zoe",)),
        ("李小龙", "李小龙", ("李小虎",)),
        ("Ελένη", "Ελένη", ("Eleni",)),
        ("Олег", "Олег", ("Oleg",)),
        ("محمد", "محمد", ("محمود",)),
        ("O'Brien-Smith", "O'Brien-Smith", TAKEN),
        ("R2-D2 | ops", "R2-D2 | ops", TAKEN),
        ("Ａlice", "Ａlice", ()),  # a look-alike of nobody here is just a name
    ],
)
def test_real_names_are_accepted(raw, expected, taken):
    assert clean(raw, taken=taken) == expected


@pytest.mark.parametrize(
    "raw, reason",
    [
        ("\u00a0 \u3000", "Please enter a name."),
        ("Аlice", "“Аlice” looks too much like “Alice”, who is already here. Please pick another name."),
        ("Ａlice", "“Ａlice” looks too much like “Alice”, who is already here."),
        ("AIice", "looks too much like “Alice”"),
        ("ＢＯＴ", "“ＢＯＴ” looks too much like “bot”, which is reserved."),
        ("Confab\u00a0Bot", "“Confab Bot” is reserved."),
        ("Cοnfab Bot", "“Cοnfab Bot” looks too much like “Confab Bot”, which is reserved."),
        ("Al\x07ice", "control characters (U+0007)"),
        ("Alice 😀", "not symbols or emoji such as “😀”"),
        ("★Star", "not symbols or emoji"),
        ("\ue000Alice", "private-use or unassigned characters (U+E000"),
        ("!!!", "at least one letter or digit"),
    ],
)
def test_bad_names_are_refused_with_a_reason(raw, reason):
    with pytest.raises(Rejected) as refused:
        clean(raw)
    assert reason in str(refused.value)


@pytest.mark.parametrize(
    "raw, hidden",
    [
        ("Alice\u00ad", "\u00ad"),  # soft hyphen
        ("Alice\u3164", "\u3164"),  # Hangul filler
        ("\u3164", "\u3164"),
        ("\u115f\u1160", "\u115f"),  # Hangul choseong and jungseong fillers
        ("\uffa0", "\uffa0"),  # half-width Hangul filler
        ("\u2800", "\u2800"),  # braille pattern blank
        ("\u200b\u200c", "\u200b"),
        ("Al\u200dice", "\u200d"),  # zero-width joiner
        ("\u202eecilA", "\u202e"),  # right-to-left override
        ("Bob\u2066", "\u2066"),  # left-to-right isolate
        ("Alice\ufe0f", "\ufe0f"),  # variation selector 16
        ("Bob\U000e0041", "\U000e0041"),  # tag letter A
        ("Bob\u034f", "\u034f"),  # combining grapheme joiner
        ("Bob\u2028Ann", "\u2028"),  # line separator
    ],
)
def test_invisible_characters_are_refused_and_named_not_echoed(raw, hidden):
    with pytest.raises(Rejected, match="invisible") as refused:
        clean(raw, taken=())
    message = str(refused.value)
    assert f"U+{ord(hidden):04X}" in message
    assert not any(char in message for char in raw if not char.isascii())


def test_every_confusable_reaches_a_stable_key():
    """Folding and the skeleton alternate until neither changes anything."""
    for char in {*_prototypes(), *"".join(_prototypes().values())}:
        for text in (char, char.upper(), f"a{char}b"):
            key = name_key(text)
            assert name_key(key) == key, (text, key)


@pytest.fixture
async def service(tmp_path):
    settings = Settings(data_dir=tmp_path, flap_window=0)
    store = SQLiteStore(settings.database_url)
    await store.open()
    service = ChatService(settings, store, MemoryBus())
    await service.start(lambda room, event: None)
    yield service
    await service.close()
    await store.close()


async def test_a_look_alike_of_someone_online_cannot_join(service):
    await service.enter_as_bot("bot-session")
    assert await service.join("general", "s1", "Alice") == "Alice"
    for alike in ("Аlice", "Ａlice", "Alice\u00ad", "Alice\u3164", "AIice"):
        with pytest.raises(Rejected):
            await service.join("general", "s2", alike)
    with pytest.raises(Rejected, match="looks too much like “Alice”, who is already here"):
        await service.join("general", "s2", "Аlice")
    with pytest.raises(Rejected, match="looks too much like “bot”"):
        await service.join("general", "s2", "ＢＯＴ")
    assert service.online("general") == ("Alice", "bot")
    assert await service.join("general", "s2", "Alicia") == "Alicia"

"""People own their names: the impostor case, device tokens, passwords, renaming, limits."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chat.access_tokens import AccessTokens
from chat.bus.memory import MemoryBus
from chat.config import Settings
from chat.domain import MessageKind, utc_now
from chat.people import NameOwned, PeopleService, token_hash
from chat.person import Role
from chat.rules import Rejected
from chat.service import ChatService
from chat.store.sqlite import SQLiteStore

pytestmark = pytest.mark.asyncio


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def world(tmp_path):
    settings = Settings(data_dir=tmp_path, rate_per_second=1000, rate_burst=1000, flap_window=0)
    store = SQLiteStore(settings.database_url)
    await store.open()
    service = ChatService(settings, store, MemoryBus())
    await service.start(lambda room, event: None)
    clock = Clock()
    people = PeopleService(settings, store, monotonic=clock)
    yield service, people, store, clock
    await service.close()
    await store.close()


async def test_an_impostor_cannot_take_the_name_of_someone_who_left(world):
    service, people, store, _ = world
    alice = await people.claim("Alice")
    await service.join("general", "tab-1", alice.person.name, alice.person.id)
    said = await service.post_message("general", "tab-1", "Alice", "hello, it is me")
    await service.leave("general", "tab-1", ended=True)

    for look_alike in ("Alice", "alice", " ALICE ", "Ａlice"):  # full-width too (NFKC)
        with pytest.raises(NameOwned) as refused:
            await people.claim(look_alike)
        assert "belongs to someone else" in str(refused.value)
        assert refused.value.has_password is False  # nothing to sign in with: pick another name

    back = await people.resume(alice.device_token)  # Alice's own browser comes back
    assert back is not None and back.id == alice.person.id
    await service.join("general", "tab-2", back.name, back.id)
    mine = [m for m in await service.history("general") if m.kind is MessageKind.CHAT]
    assert [m.id for m in mine] == [said.id]
    assert mine[0].author_id == back.id  # still her own message
    assert await store.count_people() == 1


async def test_only_a_hash_of_the_device_token_is_kept(world, tmp_path):
    _, people, _, _ = world
    entry = await people.claim("Alice")
    assert len(entry.device_token) >= 40
    raw = (tmp_path / "confab.db").read_bytes() + (tmp_path / "confab.db-wal").read_bytes()
    assert entry.device_token.encode() not in raw
    assert token_hash(entry.device_token).encode() in raw


async def test_sign_in_with_a_password_from_another_browser(world):
    _, people, _, _ = world
    alice = await people.claim("Alice")
    await people.set_password(alice.person.id, "correct horse")
    with pytest.raises(NameOwned) as refused:
        await people.claim("alice")
    assert refused.value.has_password is True
    with pytest.raises(Rejected, match="do not match"):
        await people.sign_in("Alice", "wrong horse", "10.0.0.2")
    elsewhere = await people.sign_in("alice", "correct horse", "10.0.0.2")
    assert elsewhere.person.id == alice.person.id
    assert elsewhere.device_token != alice.device_token
    assert (await people.resume(elsewhere.device_token)).id == alice.person.id
    assert (await people.resume(alice.device_token)).id == alice.person.id  # both browsers


async def test_passwords_are_argon2id_and_not_too_short(world):
    _, people, store, _ = world
    alice = await people.claim("Alice")
    with pytest.raises(Rejected, match="at least 8"):
        await people.set_password(alice.person.id, "short")
    await people.set_password(alice.person.id, "long enough")
    stored = await store.get_person(alice.person.id)
    assert stored.password_hash.startswith("$argon2id$")


async def test_sign_in_attempts_are_rate_limited_per_name_and_per_address(world):
    _, people, _, clock = world
    alice = await people.claim("Alice")
    await people.set_password(alice.person.id, "correct horse")
    for _ in range(5):
        with pytest.raises(Rejected, match="do not match"):
            await people.sign_in("Alice", "guess", "10.0.0.9")
    with pytest.raises(Rejected, match=r"Too many sign-in attempts. Try again in 12 s."):
        await people.sign_in("Alice", "correct horse", "10.0.0.10")  # another address too
    clock.now += 12
    assert (await people.sign_in("Alice", "correct horse", "10.0.0.10")).person.id == alice.person.id

    # One address guessing many names meets its own limit (4x a name's).
    for i in range(20):
        with pytest.raises(Rejected, match="do not match"):
            await people.sign_in(f"Someone{i}", "guess", "10.0.0.66")
    with pytest.raises(Rejected, match="Try again in 3 s"):
        await people.sign_in("Someone99", "guess", "10.0.0.66")


async def test_renaming_keeps_the_person_and_their_history(world):
    service, people, _, _ = world
    bob = await people.claim("Bob")
    await people.claim("Carol")
    await service.join("general", "tab-b", "Bob", bob.person.id)
    before = await service.post_message("general", "tab-b", "Bob", "as Bob")
    with pytest.raises(NameOwned):
        await people.rename(bob.person.id, "carol")
    robert = await people.rename(bob.person.id, "Robert")
    assert robert.id == bob.person.id and robert.name == "Robert"
    await service.join("general", "tab-r", "Robert", robert.id)
    after = await service.post_message("general", "tab-r", "Robert", "as Robert")
    assert before.author_id == after.author_id == bob.person.id
    assert (await people.resume(bob.device_token)).name == "Robert"
    await people.claim("Bob")  # the old name is free for someone new


async def test_revoked_expired_and_banned_devices_let_nobody_in(world):
    _, people, store, _ = world
    alice = await people.claim("Alice")
    assert await people.revoke_device(alice.device_token) is True
    assert await people.resume(alice.device_token) is None

    bob = await people.claim("Bob")
    await people.set_password(bob.person.id, "bob's password")
    other = await people.sign_in("Bob", "bob's password", "10.0.0.3")
    assert await people.revoke_devices(bob.person.id) == 2
    assert await people.resume(bob.device_token) is None
    assert await people.resume(other.device_token) is None

    carol = await people.claim("Carol")
    await AccessTokens(store).issue(carol.person.id, "nightly report")
    await people.ban(carol.person.id)
    assert await people.resume(carol.device_token) is None
    assert all(t.revoked_at is not None for t in await store.access_tokens(carol.person.id))
    with pytest.raises(NameOwned):
        await people.claim("Carol")  # a ban keeps the name taken

    dave = await people.claim("Dave")
    expired = utc_now() + timedelta(days=181)
    assert await store.person_by_device(token_hash(dave.device_token), expired) is None


async def test_the_first_person_is_an_admin_and_the_next_are_members(world):
    _, people, _, _ = world
    assert (await people.claim("First")).person.role is Role.ADMIN
    assert (await people.claim("Second")).person.role is Role.MEMBER


async def test_reserved_names_cannot_be_claimed(world):
    _, people, _, _ = world
    for name in ("bot", "Confab Bot", "system", "@bot"):
        with pytest.raises(Rejected, match="reserved"):
            await people.claim(name)


async def test_one_person_may_be_online_in_two_browsers(world):
    service, people, _, _ = world
    alice = await people.claim("Alice")
    await people.set_password(alice.person.id, "correct horse")
    await service.join("general", "laptop", "Alice", alice.person.id)
    phone = await people.sign_in("Alice", "correct horse", "10.0.0.4")
    assert await service.join("general", "phone", phone.person.name, phone.person.id) == "Alice"
    assert service.online("general").count("Alice") == 1
    await service.leave("general", "laptop", ended=True)
    assert "Alice" in service.online("general")  # still there on the phone


async def test_a_persons_send_limit_follows_them_to_every_browser(tmp_path):
    settings = Settings(data_dir=tmp_path, rate_per_second=0.01, rate_burst=3, flap_window=0)
    store = SQLiteStore(settings.database_url)
    await store.open()
    service = ChatService(settings, store, MemoryBus())
    try:
        for tab, browser in (("laptop", "browser-1"), ("phone", "browser-2")):
            await service.identify(tab, browser)
            await service.join("general", tab, "Alice", "person-a")
        for i in range(3):
            await service.post_message("general", "laptop" if i % 2 else "phone", "Alice", f"m{i}")
        with pytest.raises(Rejected, match="Slow down"):
            await service.post_message("general", "phone", "Alice", "one too many")
    finally:
        await service.close()
        await store.close()


async def test_one_person_in_two_browsers_joins_and_leaves_once(world):
    service, people, _, _ = world
    alice = await people.claim("Alice")
    for tab, browser in (("laptop", "browser-1"), ("phone", "browser-2")):
        await service.identify(tab, browser)
        await service.join("general", tab, "Alice", alice.person.id)
    await service.leave("general", "laptop", ended=True)

    async def said():
        return [m.text for m in await service.history("general") if m.kind is MessageKind.SYSTEM]

    assert await said() == ["Alice joined"]  # still on the phone: nobody left
    await service.leave("general", "phone", ended=True)
    assert await said() == ["Alice joined", "Alice left"]

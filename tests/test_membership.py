"""Rooms belong to people by id, and every service call checks it (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio

import pytest

from chat.bus.memory import MemoryBus
from chat.config import Settings
from chat.people import PeopleService
from chat.person import Role
from chat.rooms import NotAMember
from chat.rules import Rejected
from chat.service import ChatService
from tests.test_store import store, stores  # noqa: F401 (fixtures)

pytestmark = pytest.mark.asyncio


@pytest.fixture
async def world(store, tmp_path):
    settings = Settings(data_dir=tmp_path, rate_per_second=1000, rate_burst=1000, flap_window=0)
    service = ChatService(settings, store, MemoryBus())
    await service.start(lambda room, event: None)
    yield service, PeopleService(settings, store)
    await service.close()


async def names(service: ChatService, person_id: str | None) -> set[str]:
    return {room.name for room in await service.directory.rooms(person_id)}


async def test_a_rename_keeps_a_persons_private_rooms_and_dms(world):
    service, people = world
    ann, bob = await people.create_person("Ann"), await people.create_person("Bob")
    secret = await service.directory.create_room("secret", "", ann, private=True)
    dm = await service.directory.direct(ann, "Bob")
    assert secret.owner_id == ann.id and dm.owner_id == ann.id

    renamed = await people.rename(ann.id, "Annabel")
    assert {"secret", dm.name} <= await names(service, renamed.id)
    assert await service.directory.direct(renamed, "Bob") == dm  # still the same DM
    assert await service.directory.direct(bob, "Annabel") == dm
    await service.join("secret", "s-ann", "Annabel", renamed.id)
    assert (await service.post_message("secret", "s-ann", "Annabel", "still mine")).room == "secret"


async def test_whoever_owns_a_freed_name_next_inherits_none_of_its_rooms(world):
    service, people = world
    ann = await people.create_person("Ann")
    await people.create_person("Bob")
    await service.directory.create_room("secret", "", ann, private=True)
    dm = await service.directory.direct(ann, "Bob")
    await service.store.delete_person(ann.id)  # `admin free Ann`

    newcomer = (await people.claim("Ann")).person
    assert newcomer.id != ann.id
    assert await names(service, newcomer.id) == {"general"}
    assert not await service.directory.may_see("secret", newcomer.id)
    assert await service.directory.direct(newcomer, "Bob") != dm
    with pytest.raises(NotAMember):
        await service.join("secret", "s-new", "Ann", newcomer.id)


async def test_every_service_call_refuses_a_private_room_to_a_non_member(world):
    service, people = world
    ann, eve = await people.create_person("Ann"), await people.create_person("Eve")
    await service.directory.create_room("secret", "", ann, private=True)
    dm = await service.directory.direct(ann, "bot")
    for room in ("secret", dm.name):
        await service.join(room, "s-ann", "Ann", ann.id)
        said = await service.post_message(room, "s-ann", "Ann", f"only for {room}")
        await service.join("general", "s-eve", "Eve", eve.id)  # Eve is somebody, elsewhere
        for session in ("s-eve", "s-nobody"):  # a person who is no member; a session of no one
            with pytest.raises(NotAMember):
                if session == "s-eve":
                    await service.join(room, session, "Eve", eve.id)
                else:
                    await service.join(room, session, "Nobody")
            with pytest.raises(NotAMember):
                await service.history(room, session_id=session)
            with pytest.raises(NotAMember):
                await service.history_after(room, 0, session_id=session)
            with pytest.raises(NotAMember):
                await service.post_message(room, session, "Eve", "let me in")
            with pytest.raises(NotAMember):
                await service.request_stop(room, said.id, session)
        assert "Eve" not in service.online(room)
        assert [m.text for m in await service.history(room, session_id="s-ann")][-1] == said.text
        assert await service.history_after(room, said.seq - 1, session_id="s-ann") == [said]
    public = await service.history("general", session_id="s-nobody")  # a public room: anyone
    assert any(m.text == "Eve joined" for m in public)


async def test_invites_name_people_who_exist(world):
    service, people = world
    ann = await people.create_person("Ann")
    await people.create_person("Bob")
    await service.directory.create_room("secret", "", ann, private=True)
    with pytest.raises(Rejected, match="Nobody is called"):
        await service.directory.invite("secret", ann, "Zed")
    await service.directory.invite("secret", ann, "@bob")
    bob = await service.store.person_by_name_key("bob")
    assert await service.directory.may_see("secret", bob.id)


async def test_two_people_joining_at_once_with_no_admin_named_make_one_admin(world):
    service, people = world
    assert not service.settings.admins
    entries = await asyncio.gather(*(people.claim(name) for name in ("Ann", "Bob", "Cid", "Dee")))
    roles = [entry.person.role for entry in entries]
    assert roles.count(Role.ADMIN) == 1, roles
    stored = [await service.store.get_person(entry.person.id) for entry in entries]
    assert [p.role for p in stored] == roles
    late = (await people.claim("Eli")).person
    assert late.role is Role.MEMBER


async def system_lines(service: ChatService, room: str) -> list[str]:
    return [m.text for m in await service.history(room) if m.kind.value == "system"]


async def test_moving_between_rooms_tells_no_room_and_presence_follows_the_tab(world):
    service, people = world
    ann = await people.create_person("Ann")
    await service.directory.create_room("design", "", None)
    await service.join("general", "s-ann", "Ann", ann.id)  # she opens the app
    for _ in range(3):  # and goes back and forth in the sidebar
        await service.leave("general", "s-ann", moving=True)
        await service.join("design", "s-ann", "Ann", ann.id, moving=True)
        assert "Ann" in service.online("design") and "Ann" not in service.online("general")
        await service.leave("design", "s-ann", moving=True)
        await service.join("general", "s-ann", "Ann", ann.id, moving=True)
        assert "Ann" in service.online("general") and "Ann" not in service.online("design")
    await service.leave("general", "s-ann", moving=True)
    await service.join("design", "s-ann", "Ann", ann.id, moving=True)
    assert await system_lines(service, "general") == ["Ann joined"]
    assert await system_lines(service, "design") == []

    await service.leave("design", "s-ann", ended=True)  # she closes the app
    assert await system_lines(service, "general") == ["Ann joined", "Ann left"]
    assert await system_lines(service, "design") == []
    assert "Ann" not in service.online("design")


async def test_a_dropped_connection_leaves_where_it_arrived_and_comes_back_where_it_is(world):
    service, people = world
    ann = await people.create_person("Ann")
    await service.directory.create_room("design", "", None)
    await service.join("general", "s-ann", "Ann", ann.id)
    await service.leave("general", "s-ann", moving=True)
    await service.join("design", "s-ann", "Ann", ann.id, moving=True)
    await service.leave("design", "s-ann")  # the connection dropped for good
    await service.join("design", "s-ann", "Ann", ann.id)  # and came back
    assert await system_lines(service, "general") == ["Ann joined", "Ann left"]
    assert await system_lines(service, "design") == ["Ann joined"]

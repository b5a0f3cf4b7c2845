"""People through headless tabs on the real app: the impostor, the returning browser, a revoked one."""

import pytest

from chat.names import name_key

from tests.confab_harness import BrowserPrefs, Person, serve_confab


@pytest.fixture(scope="module")
def bot_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("bot")


async def test_the_impostor_is_refused_and_only_alices_browser_gets_her_back(bot_dir, tmp_path):
    async with serve_confab(bot_dir, tmp_path) as served:
        alices_browser = BrowserPrefs()
        alice = await Person.open(served.url, on_invoke=alices_browser)
        await alice.join("Alice")
        await alice.say("written by the real Alice")
        assert "Alice (you)" in alice.lines()
        await alice.close()

        impostor = await Person.open(served.url)
        for look_alike in ("Alice", "ALICE", "Ａlice"):
            await impostor.join(look_alike, expect_ok=False)
            assert "belongs to someone else" in await impostor.name_error()
        assert impostor.composer["disabled"] is True
        await impostor.join("Mallory")
        assert "Alice (you)" not in impostor.lines()  # her message is not shown as Mallory's own
        await impostor.say("hello")
        await impostor.client.wait_for(lambda: "Mallory (you)" in impostor.lines())

        back = await Person.open(served.url, on_invoke=alices_browser)  # let in by its device token
        await back.client.wait_for(lambda: back.composer.get("disabled") is False)
        await back.client.wait_for(lambda: "Alice (you)" in back.lines())
        assert "Mallory (you)" not in back.lines()
        await back.close()

        person = await served.confab.store.person_by_name_key(name_key("Alice"))
        assert await served.confab.people.revoke_devices(person.id) == 1
        revoked = await Person.open(served.url, on_invoke=alices_browser)
        await revoked.client.wait_for(lambda: (revoked.name_field or {}).get("value") == "Alice")
        assert revoked.composer["disabled"] is True  # the name alone lets nobody in
        await revoked.client.wait_for(lambda: "confab.device" not in alices_browser.values)
        for person_tab in (impostor, revoked):
            await person_tab.close()


async def test_an_invite_link_lets_a_newcomer_in_when_signup_is_by_invite(bot_dir, tmp_path):
    async with serve_confab(bot_dir, tmp_path, signup="invite") as served:
        token, _ = await served.confab.people.invite()
        stranger = await Person.open(served.url)
        await stranger.join("Stranger", expect_ok=False)
        assert "invite-only" in await stranger.name_error()

        invited = await Person.open(served.url, route=f"/?invite={token}&tz=60")
        await invited.join("Invitee")
        await invited.say("thanks for the invite")

        again = await Person.open(served.url, route=f"/?invite={token}")  # the link is spent
        await again.join("Another", expect_ok=False)
        assert "expired or was used" in await again.name_error()
        for tab in (stranger, invited, again):
            await tab.close()

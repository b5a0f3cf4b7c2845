"""Roles and sign-up: CHAT_ADMINS, CHAT_SIGNUP=invite, and `confab admin ...`."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from chat.cli import main
from chat.config import Settings, SettingsError
from chat.domain import utc_now
from chat.people import NameOwned, PeopleService
from chat.person import Role
from chat.rules import Rejected
from chat.store.sqlite import SQLiteStore

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no .env of the checkout
    monkeypatch.setenv("CHAT_DATA_DIR", str(tmp_path))
    for variable in ("DATABASE_URL", "CHAT_ADMINS", "CHAT_SIGNUP"):
        monkeypatch.delenv(variable, raising=False)
    return tmp_path


def admin(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["admin", *args])
    out, err = capsys.readouterr()
    return code, out, err


async def with_people(data_dir: Path, work, clock=utc_now, **settings):
    settings = Settings(data_dir=data_dir, **settings)
    store = SQLiteStore(settings.database_url)
    await store.open()
    try:
        return await work(PeopleService(settings, store, clock=clock))
    finally:
        await store.close()


def run(data_dir: Path, work, **settings):
    return asyncio.run(with_people(data_dir, work, **settings))


def test_create_prints_a_password_that_signs_in(data_dir, capsys):
    code, out, _ = admin(capsys, "create", "Ada", "--admin")
    assert code == 0
    found = re.fullmatch(r"confab: created Ada \(admin, person (\w+)\); password: (\S+)\n", out)
    assert found, out
    entry = run(data_dir, lambda people: people.sign_in("Ada", found[2], "10.0.0.1"))
    assert entry.person.id == found[1] and entry.person.role is Role.ADMIN

    code, _, err = admin(capsys, "create", "ADA")
    assert code == 2 and "belongs to someone else" in err


def test_invite_mode_needs_a_fresh_invite_from_an_admin(data_dir, capsys, monkeypatch):
    monkeypatch.setenv("CHAT_SIGNUP", "invite")
    code, out, _ = admin(capsys, "invite", "--base-url", "https://chat.example/")
    assert code == 0
    token = re.search(r"https://chat\.example/\?invite=([\w-]+)$", out.strip())[1]
    invite_only = dict(signup="invite")

    with pytest.raises(Rejected, match="invite-only"):
        run(data_dir, lambda people: people.claim("Newcomer"), **invite_only)
    with pytest.raises(Rejected, match="expired or was used"):
        run(data_dir, lambda people: people.claim("Newcomer", invite="made-up"), **invite_only)
    entry = run(data_dir, lambda people: people.claim("Newcomer", invite=token), **invite_only)
    assert entry.person.name == "Newcomer"
    with pytest.raises(Rejected, match="expired or was used"):  # good once
        run(data_dir, lambda people: people.claim("Second", invite=token), **invite_only)

    _, out, _ = admin(capsys, "invite")
    stale = re.search(r"\?invite=([\w-]+)", out)[1]
    in_eight_days = lambda: utc_now() + timedelta(days=8)  # noqa: E731
    with pytest.raises(Rejected, match="expired"):
        run(data_dir, lambda people: people.claim("Late", invite=stale), clock=in_eight_days, **invite_only)
    # A name taken already says so (with the password offer), and the invite stays good.
    _, out, _ = admin(capsys, "invite")
    kept = re.search(r"\?invite=([\w-]+)", out)[1]
    with pytest.raises(NameOwned):
        run(data_dir, lambda people: people.claim("newcomer", invite=kept), **invite_only)
    assert run(data_dir, lambda people: people.claim("Third", invite=kept), **invite_only).person.name == "Third"


def test_free_reset_promote_demote_and_ban(data_dir, capsys):
    claimed = run(data_dir, lambda people: people.claim("Bob"))
    code, out, _ = admin(capsys, "reset-password", "bob")
    password = re.fullmatch(r"confab: new password for Bob: (\S+) \(1 browsers signed out\)\n", out)[1]
    assert run(data_dir, lambda people: people.resume(claimed.device_token)) is None
    assert run(data_dir, lambda people: people.sign_in("Bob", password, "10.0.0.1")).person.id == claimed.person.id

    assert admin(capsys, "demote", "Bob")[1] == "confab: Bob is now a member\n"  # he was the first
    assert admin(capsys, "promote", "Bob")[1] == "confab: Bob is now an admin\n"
    assert run(data_dir, lambda people: people.store.get_person(claimed.person.id)).role is Role.ADMIN

    code, out, _ = admin(capsys, "free", "BOB")
    assert code == 0 and out.startswith("confab: freed the name Bob")
    assert run(data_dir, lambda people: people.claim("Bob")).person.id != claimed.person.id

    assert admin(capsys, "ban", "Bob")[1].startswith("confab: banned Bob")
    with pytest.raises(NameOwned):
        run(data_dir, lambda people: people.claim("bob"))

    code, out, err = admin(capsys, "promote", "Nobody")
    assert (code, out) == (2, "") and "Nobody owns the name “Nobody”" in err


def test_sign_out_and_rename(data_dir, capsys):
    claimed = run(data_dir, lambda people: people.claim("Cleo"))
    run(data_dir, lambda people: people.claim("Dora"))
    assert admin(capsys, "sign-out", "cleo")[1] == "confab: signed out 1 browsers of Cleo\n"
    assert run(data_dir, lambda people: people.resume(claimed.device_token)) is None
    code, _, err = admin(capsys, "rename", "Cleo", "DORA")
    assert code == 2 and "belongs to someone else" in err
    code, out, _ = admin(capsys, "rename", "Cleo", "Clea")
    assert out == f"confab: renamed Cleo to Clea (person {claimed.person.id}, history kept)\n"
    assert run(data_dir, lambda people: people.store.get_person(claimed.person.id)).name == "Clea"


def test_chat_admins_names_the_admins_instead_of_the_first_person(data_dir):
    listed = dict(admins="Root, Grace")
    first = run(data_dir, lambda people: people.claim("First"), **listed)
    assert first.person.role is Role.MEMBER  # the first person is not an admin when some are named
    assert run(data_dir, lambda people: people.claim("grace"), **listed).person.role is Role.ADMIN
    # Named after joining: an admin when next let in.
    back = run(data_dir, lambda people: people.resume(first.device_token), admins="first")
    assert back.role is Role.ADMIN


def test_the_first_person_is_the_admin_when_none_are_named(data_dir):
    assert run(data_dir, lambda people: people.claim("Founder")).person.role is Role.ADMIN
    assert run(data_dir, lambda people: people.claim("Later")).person.role is Role.MEMBER


def test_signup_must_be_open_or_invite(monkeypatch):
    with pytest.raises(SettingsError, match="CHAT_SIGNUP='closed'.*one of open, invite"):
        Settings.from_env({"CHAT_SIGNUP": "closed"}, env_file=None)


def test_main_py_admin_runs_as_a_command(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "CHAT_DATA_DIR": str(tmp_path)}
    made = subprocess.run(
        [sys.executable, str(REPO / "main.py"), "admin", "create", "Zoe"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
    )
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith("confab: created Zoe (admin, person ")
    missing = subprocess.run(
        [sys.executable, str(REPO / "main.py"), "admin", "free", "Yan"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
    )
    assert missing.returncode == 2 and "Nobody owns the name “Yan”" in missing.stderr


def test_audit_prints_the_moderation_actions_newest_first(data_dir, capsys):
    assert admin(capsys, "audit")[1] == "confab: the audit is empty: no moderation actions yet\n"
    run(data_dir, lambda people: people.claim("Eve"))
    admin(capsys, "ban", "Eve")
    code, out, _ = admin(capsys, "audit", "--limit", "5")
    assert code == 0
    first, line = out.splitlines()
    assert first == "confab: the newest 1 moderation actions:"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC the admin command line ban Eve", line)

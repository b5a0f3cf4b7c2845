"""The real PostgreSQL and Redis servers tests share: reach them, skip without them, restart them.

Tests that need a server call `postgres_admin_url()` / `require_redis()` (or
use the fixtures) and are skipped, saying why, on a machine without one.
Tests that stop a server restore it in a `finally` with `ensure_postgres()` /
`ensure_redis()`: other tests, and people, share these servers.

Several test runs may share one machine (a developer's and a colleague's).
A test that stops a server holds `servers_outage()` (an exclusive file lock);
a test that only uses them holds `servers_in_use()` (a shared one), so one
run's outage never lands in the middle of another run's test.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import AsyncIterator

import pytest
import pytest_asyncio

# ---- one machine, several test runs

LOCK_PATH = Path("/tmp/confab-test-servers.lock")
LOCK_WAIT = 600.0
"""Seconds to wait for other test runs to finish with the servers."""


@contextlib.asynccontextmanager
async def _servers_lock(mode: int, purpose: str) -> AsyncIterator[None]:
    with open(LOCK_PATH, "a+") as lock:
        deadline = asyncio.get_running_loop().time() + LOCK_WAIT
        while True:
            try:
                fcntl.flock(lock, mode | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if asyncio.get_running_loop().time() > deadline:
                    raise TimeoutError(
                        f"waited {LOCK_WAIT:.0f}s for other test runs on this machine to "
                        f"let go of PostgreSQL/Redis ({LOCK_PATH}) to {purpose}"
                    ) from None
                await asyncio.sleep(0.1)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def servers_in_use() -> contextlib.AbstractAsyncContextManager[None]:
    """Hold while a test uses the shared servers: no other run stops them meanwhile."""
    return _servers_lock(fcntl.LOCK_SH, "use them")


def servers_outage() -> contextlib.AbstractAsyncContextManager[None]:
    """Hold while a test stops a shared server: waits until no other run is using them."""
    return _servers_lock(fcntl.LOCK_EX, "stop one")


@pytest_asyncio.fixture
async def shared_servers() -> AsyncIterator[None]:
    """This test uses PostgreSQL/Redis; other runs' outages wait until it ends."""
    async with servers_in_use():
        yield


@pytest_asyncio.fixture
async def exclusive_servers() -> AsyncIterator[None]:
    """This test stops PostgreSQL or Redis; it waits until no other run uses them."""
    async with servers_outage():
        yield


# ---- PostgreSQL

PG_HOST, PG_PORT, PG_DATABASE = "127.0.0.1", 5432, "test"
PG_USERS = ("postgres", "root")


async def postgres_admin_url() -> str:
    """A URL PostgreSQL accepts (database `test`), or skip the test saying why there is none."""
    asyncpg = pytest.importorskip("asyncpg", reason="asyncpg is not installed")
    error: BaseException | None = None
    for user in PG_USERS:
        url = f"postgresql://{user}@{PG_HOST}:{PG_PORT}/{PG_DATABASE}"
        try:
            conn = await asyncpg.connect(url, timeout=3)
        except (OSError, asyncio.TimeoutError, asyncpg.PostgresError) as exc:
            error = exc
            continue
        await conn.close()
        return url
    pytest.skip(f"PostgreSQL not reachable at {PG_HOST}:{PG_PORT}: {error}")


async def execute_sql(url: str, sql: str, *args: object) -> None:
    """Run one statement on its own connection."""
    import asyncpg

    conn = await asyncpg.connect(url, timeout=5)
    try:
        await conn.execute(sql, *args)
    finally:
        await conn.close()


async def fetch_sql(url: str, sql: str, *args: object) -> list:
    """Rows of one query, on its own connection."""
    import asyncpg

    conn = await asyncpg.connect(url, timeout=5)
    try:
        return await conn.fetch(sql, *args)
    finally:
        await conn.close()


@contextlib.asynccontextmanager
async def fresh_database() -> AsyncIterator[str]:
    """A new, empty database `confab_<hex>` for one test; its URL. Dropped afterwards."""
    admin_url = await postgres_admin_url()
    name = f"confab_{uuid.uuid4().hex[:12]}"
    await execute_sql(admin_url, f"CREATE DATABASE {name}")
    try:
        yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        await ensure_postgres()  # a test that stopped the server may have failed half-way
        # FORCE: a server process the test killed may still hold a connection.
        await execute_sql(admin_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest_asyncio.fixture
async def pg_database() -> AsyncIterator[str]:
    """The URL of a fresh PostgreSQL database for this test; skips without PostgreSQL."""
    async with fresh_database() as url:
        yield url


def pg_cluster_version() -> str | None:
    """The newest Debian PostgreSQL cluster version that has a 'main' cluster."""
    root = Path("/etc/postgresql")
    if not root.is_dir():
        return None
    versions = sorted((p.name for p in root.iterdir() if (p / "main").is_dir()), key=_version_key)
    return versions[-1] if versions else None


def _version_key(version: str) -> tuple:
    return tuple(int(part) if part.isdigit() else part for part in version.split("."))


def why_pg_cannot_restart() -> str | None:
    """Why this machine cannot stop and start PostgreSQL for a test, or None if it can."""
    if shutil.which("pg_ctlcluster") is None:
        return "pg_ctlcluster is not on PATH (Debian's postgresql-common restarts the server)"
    if os.geteuid() != 0:
        return "restarting PostgreSQL needs root"
    if pg_cluster_version() is None:
        return "no PostgreSQL cluster 'main' under /etc/postgresql"
    return None


def pg_ctl(action: str) -> None:
    """Stop, start or restart the local cluster and wait until it has done so (blocking)."""
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", pg_cluster_version(), "main", action],
        check=True,
        capture_output=True,
        timeout=120,
    )


async def postgres_answers() -> bool:
    """True if PostgreSQL accepts a connection now."""
    import asyncpg

    for user in PG_USERS:
        try:
            conn = await asyncpg.connect(
                f"postgresql://{user}@{PG_HOST}:{PG_PORT}/{PG_DATABASE}", timeout=2
            )
        except (OSError, asyncio.TimeoutError, asyncpg.PostgresError):
            continue
        await conn.close()
        return True
    return False


async def ensure_postgres(seconds: float = 60.0) -> None:
    """Start the local cluster if it is not answering (a no-op where it cannot be started)."""
    if await postgres_answers() or why_pg_cannot_restart() is not None:
        return
    await asyncio.to_thread(pg_ctl, "start")
    async with asyncio.timeout(seconds):
        while not await postgres_answers():
            await asyncio.sleep(0.1)


# ---- Redis

REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
REDIS_URL = f"redis://{REDIS_HOST}:{REDIS_PORT}/0"
REDIS_SERVER_COMMAND = [
    "redis-server",
    "--daemonize",
    "yes",
    "--bind",
    "127.0.0.1",
    "-::1",
    "--port",
    str(REDIS_PORT),
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    "/var/lib/redis",
    "--logfile",
    "/var/log/redis/ci.log",
]
"""How CI starts Redis (.ci/run); a test that shut it down starts it again the same way."""


async def redis_answers(url: str = REDIS_URL) -> BaseException | None:
    """None if Redis at `url` answers PING, else the error it gave."""
    import redis.asyncio as redis
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff

    client = redis.Redis.from_url(
        url, socket_connect_timeout=1, socket_timeout=1, retry=Retry(NoBackoff(), 0)
    )
    try:
        await client.ping()
        return None
    except Exception as exc:  # any failure means "not reachable"; the caller reports it
        return exc
    finally:
        await client.aclose()


async def require_redis() -> str:
    """The local Redis URL, or skip the test saying why it cannot be reached."""
    pytest.importorskip("redis", reason="redis-py is not installed")
    error = await redis_answers()
    if error is not None:
        pytest.skip(f"Redis not reachable at {REDIS_HOST}:{REDIS_PORT}: {error}")
    return REDIS_URL


def why_redis_cannot_restart() -> str | None:
    """Why this machine cannot stop and start Redis for a test, or None if it can."""
    if shutil.which("redis-server") is None or shutil.which("redis-cli") is None:
        return "redis-server/redis-cli are not on PATH"
    if os.geteuid() != 0:
        return "restarting the shared Redis server needs root"
    return None


def new_channel() -> str:
    """A Redis channel no other test or deployment uses."""
    return f"confab:test:{uuid.uuid4().hex}"


async def wait_for_redis(up: bool, seconds: float = 15.0) -> None:
    """Return once Redis answers (up=True) or stops answering (up=False)."""
    async with asyncio.timeout(seconds):
        while (await redis_answers() is None) != up:
            await asyncio.sleep(0.05)


async def stop_redis() -> None:
    """`redis-cli shutdown nosave`, then wait until it no longer answers."""
    await asyncio.to_thread(
        subprocess.run,
        ["redis-cli", "-p", str(REDIS_PORT), "shutdown", "nosave"],
        capture_output=True,
        timeout=30,
    )
    await wait_for_redis(up=False)


async def ensure_redis() -> None:
    """Start Redis as CI does if it is not answering, and wait until it does."""
    if await redis_answers() is None:
        return
    await asyncio.to_thread(
        subprocess.run, REDIS_SERVER_COMMAND, check=True, capture_output=True, timeout=30
    )
    await wait_for_redis(up=True)

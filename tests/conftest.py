"""Fixtures every test module may use."""

pytest_plugins = [
    "tests.fake_openai",  # fake_openai: a real OpenAI-compatible server on loopback
    "tests.servers",  # pg_database, shared_servers, exclusive_servers: PostgreSQL and Redis
]

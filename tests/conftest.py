"""Fixtures every test module may use."""

pytest_plugins = [
    "tests.fake_openai",  # fake_openai: a real OpenAI-compatible server on loopback
    "tests.servers",  # pg_database, shared_servers, exclusive_servers: PostgreSQL and Redis
]


def pytest_unconfigure(config):
    # Flet logs each session it frees from weakref finalizers, the last ones at interpreter
    # exit, after pytest has closed the streams its log handlers wrote to: without this,
    # every run ended in pages of "--- Logging error ---" that hid the summary.
    import logging

    logging.raiseExceptions = False

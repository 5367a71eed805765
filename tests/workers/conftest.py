"""Fixtures of the worker tests (defined in tests/workers/fixtures.py so the page tests can use them too)."""

from tests.workers.fixtures import contacts, mail, settings, sms, smtp  # noqa: F401

"""Behaviour of the failure codes page (the shared list-and-edit callbacks)."""

from callbacks.crud import register
from pages.failure_codes import SPEC

register(SPEC)

"""Behaviour of the presses page (the shared list-and-edit callbacks)."""

from callbacks.crud import register
from pages.presses import SPEC

register(SPEC)

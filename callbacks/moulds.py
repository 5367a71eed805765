"""Behaviour of the moulds page (the shared list-and-edit callbacks)."""

from callbacks.crud import register
from pages.moulds import SPEC

register(SPEC)

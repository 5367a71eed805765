"""Behaviour of the PM templates page (the shared list-and-edit callbacks)."""

from callbacks.crud import register
from pages.pm_templates import SPEC

register(SPEC)

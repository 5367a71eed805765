"""Behaviour of the users and sites page (the shared list-and-edit callbacks, once per entity)."""

from callbacks.crud import register
from pages.users_sites import SITES, USERS

register(USERS)
register(SITES)

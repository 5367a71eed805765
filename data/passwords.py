"""Password hashing (argon2) and the rules a new password must meet."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()

MIN_LENGTH = 10
COMMON = {
    "password", "password1", "password123", "1234567890", "12345678910", "qwertyuiop", "letmein123",
    "welcome123", "administrator", "changeme123", "iloveyou12", "toolroom123", "maintenance",
}
# A valid hash of a random password, verified against when a user is unknown so that
# an unknown user and a wrong password take the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password-used-for-timing")


class WeakPassword(ValueError):
    """The password does not meet the rules; the message says which."""


def check_strength(password: str, username: str = "") -> None:
    """Raise WeakPassword unless password is long enough, not common and not the username."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"Password is too short: use at least {MIN_LENGTH} characters.")
    lowered = password.lower()
    if lowered in COMMON or len(set(password)) < 4:
        raise WeakPassword("Password is too easy to guess: choose a less common one.")
    if username and username.lower() in lowered:
        raise WeakPassword("Password must not contain the user name.")


def hash_password(password: str) -> str:
    """An argon2id hash of password."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True if password matches; always does the work of one verification."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(password_hash)

"""Password hashing with argon2 (argon2-cffi) and the password rules."""

from __future__ import annotations

import secrets
import string

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()


def use_cheap_hashing_for_tests() -> None:
    """Still argon2id, with the library's cheapest parameters: the test suite creates hundreds
    of accounts, and the production cost (64 MiB, 3 passes) would dominate its run time."""
    global _hasher
    _hasher = PasswordHasher.from_parameters(profiles.CHEAPEST)


MIN_LENGTH = 10


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)


def generate_password(length: int = 16) -> str:
    """A one-time password without look-alike characters, easy to copy from a console."""
    alphabet = "".join(c for c in string.ascii_letters + string.digits if c not in "0O1lI")
    return "".join(secrets.choice(alphabet) for _ in range(length))


# A dummy hash to verify against when the e-mail is unknown, so response time does not
# reveal which e-mails have accounts.
DUMMY_HASH = PasswordHasher().hash("not-a-real-password")

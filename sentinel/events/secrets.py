"""Webhook secrets at rest: encrypted (Fernet: AES-128-CBC + HMAC-SHA256) with keys from
MAILSENTINEL_WEBHOOK_SECRET_KEYS, so that a database dump alone does not reveal them.

The first key encrypts and every key decrypts (MultiFernet), so a key is replaced by
listing the new one first and dropping the old once secrets were re-encrypted (every
rotation re-encrypts). Without the setting a SQLite database gets a key file beside it
(``<database>.key``, mode 0600, made on first use), an in-memory database (the mock) a key
of the process, and PostgreSQL none: storing a secret is then refused (503) until set.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from sentinel.errors import ServiceUnavailable


class SecretBox:
    """Encrypts and decrypts webhook secrets. Raises ServiceUnavailable when no key is configured."""

    def __init__(self, keys: Sequence[str] = (), key_file: Path | None = None) -> None:
        self._keys = list(keys)
        self._key_file = key_file
        self._fernet: MultiFernet | None = MultiFernet([Fernet(k) for k in keys]) if keys else None
        self._lock = threading.Lock()

    @classmethod
    def ephemeral(cls) -> SecretBox:
        """A box with a key of this process only (the in-memory mock)."""
        return cls([Fernet.generate_key().decode("ascii")])

    def _box(self) -> MultiFernet:
        with self._lock:
            if self._fernet is None and self._key_file is not None:
                self._fernet = MultiFernet([Fernet(_read_or_create(self._key_file))])
            if self._fernet is None:
                raise ServiceUnavailable(
                    "Webhook secrets cannot be stored: set MAILSENTINEL_WEBHOOK_SECRET_KEYS on this server "
                    "(required with PostgreSQL).",
                    headers={"Retry-After": "3600"},
                )
            return self._fernet

    def encrypt(self, secret: str) -> str:
        return self._box().encrypt(secret.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        """Raises ServiceUnavailable when no configured key opens `token` (a key was dropped)."""
        try:
            return self._box().decrypt(token.encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise ServiceUnavailable(
                "A webhook secret cannot be decrypted with MAILSENTINEL_WEBHOOK_SECRET_KEYS: "
                "the key that encrypted it is no longer listed.",
                headers={"Retry-After": "3600"},
            ) from None


def _read_or_create(path: Path) -> bytes:
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    key = Fernet.generate_key()
    # O_EXCL: two processes starting together keep the one key that was written first.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as fh:
        fh.write(key + b"\n")
    return key


def box_for(keys: Sequence[str], database_url: str, in_memory: bool) -> SecretBox:
    """The box a server with these settings uses (see the module docstring)."""
    if keys:
        return SecretBox(keys)
    if in_memory:
        return SecretBox.ephemeral()
    if database_url.startswith("sqlite:///"):
        return SecretBox(key_file=Path(database_url.removeprefix("sqlite:///").split("?", 1)[0] + ".key"))
    return SecretBox()

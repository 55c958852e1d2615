"""The HTTP limits come from MAILSENTINEL_* variables and must be usable."""

from __future__ import annotations

import pytest

from sentinel.errors import ValidationError
from sentinel.settings import Settings


def test_limits_from_the_environment() -> None:
    env = {
        "MAILSENTINEL_BODY_TIMEOUT": "30",
        "MAILSENTINEL_MAX_HEADER_BYTES": "8192",
        "MAILSENTINEL_MAX_HEADERS": "50",
        "MAILSENTINEL_HEADER_TIMEOUT": "2.5",
    }
    s = Settings.from_env(env)
    assert (s.body_timeout, s.max_header_bytes, s.max_headers, s.header_timeout) == (30.0, 8192, 50, 2.5)
    d = Settings.from_env({})
    assert (d.body_timeout, d.max_header_bytes, d.max_headers, d.header_timeout) == (60.0, 16384, 100, 10.0)


@pytest.mark.parametrize("name", ["BODY_TIMEOUT", "MAX_HEADER_BYTES", "MAX_HEADERS", "HEADER_TIMEOUT"])
def test_limits_must_be_positive(name: str) -> None:
    with pytest.raises(ValidationError, match=f"MAILSENTINEL_{name}"):
        Settings.from_env({f"MAILSENTINEL_{name}": "0"})

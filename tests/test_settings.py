"""Every setting is documented once: the README table and --help agree with `Settings`."""

from __future__ import annotations

import argparse
import dataclasses
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sentinel.cli import build_parser
from sentinel.errors import ValidationError
from sentinel.settings import VARIABLES, Settings, Variable, variables_for

ROOT = Path(__file__).resolve().parents[1]
ROW = re.compile(r"^\| `(MAILSENTINEL_[A-Z0-9_]+)` \| (.+?) \| (.+?) \|$")
COMMANDS = ("serve", "mock", "migrate", "bootstrap", "token", "scan", "parse", "ingest", "worker", "webhooks", "alerts")


def _readme_table() -> dict[str, str]:
    """variable -> default cell of the README's configuration table (one row per variable)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, str] = {}
    for line in section.splitlines():
        if line.startswith("| `MAILSENTINEL_"):
            match = ROW.match(line)
            assert match, f"README row not in the form | `MAILSENTINEL_X` | default | meaning |: {line}"
            assert match.group(1) not in rows, f"{match.group(1)} has two rows"
            rows[match.group(1)] = match.group(2)
    return rows


def _documented(field: dataclasses.Field[object]) -> str:
    """A field's default as the table writes it: `value`, or unset for None and empty lists."""
    if field.default is dataclasses.MISSING:
        factory = field.default_factory  # type: ignore[misc]
        assert factory is not dataclasses.MISSING, f"{field.name} has no default"
        value = factory()
        if field.name == "database_url":
            assert value == f"sqlite:///{Path.cwd() / 'mailsentinel.db'}"
            return "`sqlite:///./mailsentinel.db`"
        raise AssertionError(f"say in this test how the README shows {field.name}'s computed default")
    if field.default is None or field.default == ():
        return "unset"
    return f"`{field.default}`"


def test_the_readme_table_lists_every_setting_with_its_default() -> None:
    fields = {f"MAILSENTINEL_{f.name.upper()}": f for f in dataclasses.fields(Settings)}
    table = _readme_table()
    assert sorted(set(fields) - set(table)) == [], "settings missing from the README table"
    assert sorted(set(table) - set(fields)) == [], "README rows for variables Settings does not have"
    wrong = {name: (table[name], _documented(f)) for name, f in fields.items() if table[name] != _documented(f)}
    assert wrong == {}, "README default (left) differs from Settings (right)"


def test_every_field_is_read_from_exactly_one_variable() -> None:
    assert sorted(v.field for v in VARIABLES) == sorted(f.name for f in dataclasses.fields(Settings))
    for var in VARIABLES:
        assert set(var.commands) <= set(COMMANDS), var.name
        assert var.default == _documented(next(f for f in dataclasses.fields(Settings) if f.name == var.field))


SAMPLES = {"text": "x-value", "list": "a, b,,c", "int": "4711", "float": "1.5", "bool": "True"}
PARSED = {"text": "x-value", "list": ("a", "b", "c"), "int": 4711, "float": 1.5, "bool": True}
_KEY = "q0GJ1PKFd1rF0m8eBoIn4BVyBgXcXp1ZWcPzs8VcG0Y="
CHECKED = {
    "allowed_target_networks": ("127.0.0.0/8, ::1,,192.0.2.0/24", ("127.0.0.0/8", "::1", "192.0.2.0/24")),
    "webhook_secret_keys": (f"{_KEY},,{_KEY}", (_KEY, _KEY)),
    "serve_worker": ("0", 0),
    "cors_origins": (
        "https://console.example.com, http://127.0.0.1:5173,,*",
        ("https://console.example.com", "http://127.0.0.1:5173", "*"),
    ),
}


@pytest.mark.parametrize("var", VARIABLES, ids=lambda v: v.name)
def test_each_variable_reaches_its_setting(var: Variable) -> None:
    # Variables whose values are checked at start-up get a sample that passes the check.
    sample, parsed = CHECKED.get(var.field, (SAMPLES[var.kind], PARSED[var.kind]))
    settings = Settings.from_env({var.name: sample})
    assert getattr(settings, var.field) == parsed
    assert getattr(Settings.from_env({var.name: "   "}), var.field) == getattr(Settings(), var.field)


def test_a_non_number_names_the_variable() -> None:
    with pytest.raises(ValidationError, match="MAILSENTINEL_MTA_STS_PORT must be a number"):
        Settings.from_env({"MAILSENTINEL_MTA_STS_PORT": "https"})


def test_the_parser_knows_every_command_the_variables_name() -> None:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    assert sorted(sub.choices) == sorted(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_help_lists_the_variables_the_command_reads(command: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sentinel.cli", command, "--help"], cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    listed = set(re.findall(r"^  (MAILSENTINEL_[A-Z0-9_]+) \(default: ", result.stdout, re.M))
    assert listed == {v.name for v in variables_for(command)}
    if command in ("parse", "webhooks"):
        assert "reads no MAILSENTINEL_* variable" in result.stdout
    else:
        assert listed


def test_serve_help_shows_defaults() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sentinel.cli", "serve", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert "MAILSENTINEL_DATABASE_URL (default: sqlite:///./mailsentinel.db)" in result.stdout
    assert "MAILSENTINEL_AUTH_FAILURES_PER_MINUTE (default: 30)" in result.stdout
    assert "MAILSENTINEL_MOCK_SEED" not in result.stdout


def test_a_switch_reads_true_and_false_words_and_refuses_others() -> None:
    assert Settings.from_env({"MAILSENTINEL_ACCESS_LOG": "on"}).access_log is True
    assert Settings.from_env({"MAILSENTINEL_ACCESS_LOG": "0"}).access_log is False
    with pytest.raises(ValidationError):
        Settings.from_env({"MAILSENTINEL_ACCESS_LOG": "maybe"})

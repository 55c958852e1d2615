"""The coverage table's columns that do not need a fuzz run: every operationId has a handler in
serve and a seeded success on the mock; the SDK columns are pending only while no SDK exists.
(The fuzz columns are checked by test_schemathesis.py's last test, on the run it just made.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from contract_tests import coverage
from contract_tests.coverage import SDKS, Table, operations


@pytest.fixture(scope="module")
def table() -> Table:
    return coverage.build(with_fuzz=False)


def test_every_operation_has_a_handler_in_serve(table: Table) -> None:
    assert table.serve and all(table.serve.values()), [k for k, v in table.serve.items() if not v]


def test_every_operation_gets_a_seeded_success_from_the_mock(table: Table) -> None:
    assert table.mock is not None
    failed = {name: status for name, status in table.mock.items() if not 200 <= status < 300}
    assert not failed, failed
    assert set(table.mock) == {op.operation_id for op in operations()}


def test_sdk_columns_are_pending_only_while_the_sdks_do_not_exist(table: Table) -> None:
    for lang, covered in table.sdks.items():
        if SDKS[lang].is_dir():
            assert covered is not None and all(covered.values()), (lang, [k for k, v in covered.items() if not v])
        else:
            assert covered is None
    assert not [gap for gap in table.gaps() if "SDK" in gap or "no handler" in gap or "mock answered" in gap]


def test_a_gap_in_any_column_is_reported(tmp_path: Path) -> None:
    ops = operations()[:2]
    first, second = (op.operation_id for op in ops)
    record = tmp_path / "record.json"
    record.write_text(json.dumps({"serve": {first: {"200": 3}}, "mock": {first: {"401": 9}}}))
    table = Table(
        ops=ops,
        serve={first: True, second: False},
        mock={first: 200, second: 404},
        fuzz=coverage.fuzz_successes(record),
        sdks={"python": {first: True, second: False}, "js": None},
    )
    gaps = table.gaps()
    assert f"{second}: no handler in serve" in gaps
    assert f"{second}: the mock answered 404 to the seeded request" in gaps
    assert f"{first}: no 2xx while fuzzing mock" in gaps and f"{first}: no 2xx while fuzzing serve" not in gaps
    assert f"{second}: not in the python SDK" in gaps and not any("js SDK" in g for g in gaps)
    rendered = table.render()
    assert "— (pending)" in rendered and "3 x 2xx" in rendered

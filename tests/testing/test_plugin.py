"""The pytest plugin, exercised as a user meets it: pytest in a fresh directory (a subprocess), with
the plugin loaded from its ``pytest11`` entry point."""

from __future__ import annotations

import textwrap

import pytest

pytest_plugins = ["pytester"]

PROJECT = {
    "shop/config.yaml": "name: shop\n",
    "shop/models/order_totals.sql": """
        -- @model(materialize="table")
        SELECT customer, sum(amount) AS total FROM orders GROUP BY customer
    """,
    "shop/models/labels.py": """
        from interlace import model


        @model(materialize="table")
        def labels(order_totals):
            return order_totals.mutate(big=order_totals.total > 10)
    """,
    "shop/tests/order_totals.yaml": """
        unit_tests:
          - name: sums_per_customer
            model: order_totals
            given:
              - input: ref('orders')
                rows:
                  - {customer: ann, amount: 3}
                  - {customer: ann, amount: 9}
                  - {customer: bo, amount: 4}
            expect:
              rows:
                - {customer: bo, total: 4}
                - {customer: ann, total: 12}
          - name: labels_big_customers
            model: labels
            given:
              - input: order_totals
                rows: [{customer: ann, total: 12}, {customer: bo, total: 4}]
            expect:
              rows: [{customer: ann, big: true}, {customer: bo, big: true}]
    """,
}


def _write(pytester: pytest.Pytester, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = pytester.path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))


def test_declared_unit_tests_become_items_with_a_diff(pytester: pytest.Pytester) -> None:
    _write(pytester, PROJECT)
    result = pytester.runpytest_subprocess("--interlace-project", "shop", "-p", "no:cacheprovider", "-v")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([
        "*order_totals.yaml::sums_per_customer PASSED*",
        "*order_totals.yaml::labels_big_customers FAILED*",
    ])
    result.stdout.fnmatch_lines([
        "unit test 'labels_big_customers' of model 'labels' (*order_totals.yaml, unit_tests[[]1]):",
        "2 row(s) produced, 2 expected (compared on customer, big):",
        "  - missing:    {'customer': 'bo', 'big': True}",
        "  + unexpected: {'customer': 'bo', 'big': False}",
    ])


def test_fixtures_build_a_project_and_a_workspace(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_models="""
        from interlace.testing import mock_dependency

        def test_project_files(interlace_project):
            root = interlace_project({"models/one.sql": "SELECT 1 AS x"})
            assert (root / "models" / "one.sql").read_text() == "SELECT 1 AS x"

        def test_workspace_runs(interlace_workspace):
            ws = interlace_workspace({"models/doubled.sql": "SELECT n * 2 AS d FROM numbers"})
            ws.declare(mock_dependency("numbers", [{"n": 1}, {"n": 4}]))
            assert ws.run().ok
            assert ws.sql("SELECT d FROM doubled ORDER BY d").fetchall() == [(2,), (8,)]
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_a_missing_tests_directory_is_a_usage_error(pytester: pytest.Pytester) -> None:
    (pytester.path / "empty").mkdir()
    result = pytester.runpytest_subprocess("--interlace-project", "empty", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([
        f"ERROR: --interlace-project empty: {pytester.path / 'empty' / 'tests'} does not exist. Fix: declare unit "
        "tests in tests/*.yaml of the project, or pass the project's directory"])

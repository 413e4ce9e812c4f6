"""The rules that keep the house habitable, checked on every run: the import contracts (floors, no
cycles, pure rules, who imports the task module), the alert-code registry against the registered rules,
the queued task names against Celery's registry."""

from __future__ import annotations

import ast
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from celery import current_app
from django.conf import settings

from sponsors import queue
from sponsors.rules import guardrails
from sponsors.rules.alert_codes import ALERT_CODES
from sponsors.rules.facts import AccountFacts

ROOT = Path(__file__).resolve().parent.parent


def test_the_import_contracts_hold():
    lint_imports = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(lint_imports)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_every_alert_code_has_exactly_one_rule_and_every_rule_a_code():
    codes = [code for code, _rule in guardrails.RULES]
    assert sorted(codes) == sorted(ALERT_CODES)
    assert len(codes) == len(set(codes))


def test_a_rule_for_an_unknown_code_is_refused():
    with pytest.raises(ValueError, match="unknown alert code 'no_lunch'"):
        guardrails.guardrail("no_lunch")


def test_every_rule_runs_on_an_empty_account():
    facts = AccountFacts(id=1, name="Empty", tier="smb")
    found = {f.code for f in guardrails.evaluate_account(facts, None, as_of=date(2026, 1, 1))}
    assert {"no_sponsor", "cadence_overdue"} <= found <= set(ALERT_CODES)
    assert "no_backup_sponsor" not in found                 # no sponsor at all is one alert, not also a backup's


def test_every_task_the_services_queue_by_name_is_registered():
    registered = set(current_app.tasks)
    assert set(queue.TASK_NAMES) <= registered


def test_every_periodic_job_names_a_registered_task():
    registered = set(current_app.tasks)
    assert {job["task"] for job in settings.CELERY_BEAT_SCHEDULE.values()} <= registered


def test_queueing_an_unknown_task_is_refused():
    with pytest.raises(ValueError, match="unknown task 'sponsors.tasks.nap'"):
        queue.queue_on_commit("sponsors.tasks.nap")


def test_the_readme_documents_every_setting_and_alert_code_as_the_code_declares_them():
    from sponsors.management.commands.rules_settings import alert_code_table, markdown_tables

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert markdown_tables() in readme, "README 'Tuning the rules' is stale: `manage.py rules_settings --markdown`"
    assert alert_code_table() in readme, "README alert table is stale: paste `manage.py rules_settings --alert-codes`"


# --- sizes: a newcomer reads a file or a function in one sitting ----------------------------------------

PRODUCT = ("accounts", "sponsors", "reports", "config")
MAX_FILE_LINES = 400
MAX_FUNCTION_LINES = 60


def _product_files():
    for package in PRODUCT:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def _code_lines(node) -> int:
    """A function's length without its docstring."""
    length = node.end_lineno - node.lineno + 1
    first = node.body[0] if node.body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        length -= first.end_lineno - first.lineno + 1
    return length


def _reason_above(lines: list[str], node) -> bool:
    """``# Long by design: <reason>`` on the line above the ``def`` (or its first decorator)."""
    start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    return start >= 2 and lines[start - 2].strip().startswith("# Long by design:")


def size_problems(files) -> list[str]:
    problems = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        name = path.name if not path.is_relative_to(ROOT) else path.relative_to(ROOT)
        if len(lines) > MAX_FILE_LINES and not any(line.startswith("# Long module:") for line in lines[:30]):
            problems.append(f"{name}: {len(lines)} lines (over {MAX_FILE_LINES}, no '# Long module:' reason)")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and _code_lines(node) > MAX_FUNCTION_LINES \
                    and not _reason_above(lines, node):
                problems.append(f"{name}:{node.lineno} {node.name}() is {_code_lines(node)} lines "
                                f"(over {MAX_FUNCTION_LINES}, no '# Long by design:' reason)")
    return problems


def test_no_file_or_function_is_too_long_without_a_reason_beside_it():
    assert size_problems(_product_files()) == []


def test_the_size_check_catches_a_long_function_and_accepts_a_reason(tmp_path):
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES + 1))
    long_one = tmp_path / "long.py"
    long_one.write_text(f"def too_long():\n{body}\n")
    explained = tmp_path / "explained.py"
    explained.write_text(f"# Long by design: a table of constants.\ndef too_long():\n{body}\n")
    assert size_problems([long_one]) == [f"long.py:1 too_long() is {MAX_FUNCTION_LINES + 2} lines "
                                         f"(over {MAX_FUNCTION_LINES}, no '# Long by design:' reason)"]
    assert size_problems([explained]) == []

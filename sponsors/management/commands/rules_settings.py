"""``manage.py rules_settings [--markdown | --alert-codes]``: every setting of the rules configuration with
its default and the value in force.  The README's "Tuning the rules" tables are the ``--markdown``
output and its alert table the ``--alert-codes`` output (a test keeps them equal)."""

from __future__ import annotations

import ast
import inspect
from collections.abc import Mapping
from dataclasses import fields

from django.core.management.base import BaseCommand

from sponsors.config import rules_config
from sponsors.rules.alert_codes import ALERT_CODES
from sponsors.rules.config import SECTIONS, RulesConfig


def _value(value) -> str:
    if isinstance(value, Mapping):
        return "{" + ", ".join(f'"{k}": {_value(v)}' for k, v in value.items()) + "}"
    if isinstance(value, frozenset):
        return "{" + ", ".join(f'"{v}"' for v in sorted(value)) + "}"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def field_comments(section) -> dict[str, str]:
    """Each field's comment in the section's source: a trailing ``# …`` or the ``# …`` lines above it."""
    source = inspect.getsource(section).splitlines()
    names = {f.name for f in fields(section)}
    out, above = {}, []
    for line in source:
        stripped = line.strip()
        if stripped.startswith("#"):
            above.append(stripped.lstrip("# ").strip())
            continue
        name = stripped.split(":", 1)[0].strip()
        if name in names:
            trailing = line.split("#", 1)[1].strip() if "#" in line and not _in_string(line) else ""
            out[name] = trailing or " ".join(above)
        above = []
    return out


def _in_string(line: str) -> bool:
    code = line.split("#", 1)[0]
    try:
        ast.parse(code.strip().split(":", 1)[-1].split("=", 1)[-1].strip() or "0")
    except SyntaxError:
        return True
    return False


def markdown_tables() -> str:
    """One table per section: key, default, meaning."""
    defaults = RulesConfig()
    blocks = []
    for name, section in SECTIONS.items():
        comments = field_comments(section)
        rows = [f"| `{f.name}` | `{_value(getattr(getattr(defaults, name), f.name))}` | {comments.get(f.name, '')} |"
                for f in fields(section)]
        doc = (section.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")
        blocks.append("\n".join([f"**`{section.SETTING}`** — {doc}", "", "| key | default | meaning |",
                                 "|---|---|---|", *rows]))
    return "\n\n".join(blocks) + "\n"


def alert_code_table() -> str:
    """The alert-code registry as a Markdown table: code, what users see, when, severity."""
    rows = [f"| `{c.code}` | {c.title} | {c.when} | {c.severity_rule} |" for c in ALERT_CODES.values()]
    return "\n".join(["| code | shown as | when | severity |", "|---|---|---|---|", *rows]) + "\n"


class Command(BaseCommand):
    help = "List every rules setting with its default and the value in force (--markdown: the README tables)."

    def add_arguments(self, parser):
        parser.add_argument("--markdown", action="store_true", help="Print the README's tables of defaults.")
        parser.add_argument("--alert-codes", action="store_true", help="Print the README's table of alert codes.")

    def handle(self, *, markdown, alert_codes, **options):
        if alert_codes:
            self.stdout.write(alert_code_table(), ending="")
            return
        if markdown:
            self.stdout.write(markdown_tables(), ending="")
            return
        current, defaults = rules_config(), RulesConfig()
        for name, section in SECTIONS.items():
            for f in fields(section):
                now, default = getattr(getattr(current, name), f.name), getattr(getattr(defaults, name), f.name)
                mark = "" if now == default else f"   (default {_value(default)})"
                self.stdout.write(f"{section.SETTING}[{f.name!r}] = {_value(now)}{mark}")

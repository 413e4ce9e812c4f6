"""Shared helpers of the report tests: the seeded demo portfolio (fixed seed and date) and a
Markdown structure parser built on a real CommonMark parser (markdown-it-py, GFM tables on)."""

from __future__ import annotations

from datetime import date

from django.core.management import call_command

from accounts.models import Account
from tests.markdown_support import (  # noqa: F401 (re-exported)
    BOLD_LABELS,
    SECTION_HEADINGS,
    TABLE_COLUMNS,
    inline_text,
    md,
    parse_markdown,
)

DEMO_AS_OF = date(2026, 11, 26)
DEMO_ACCOUNTS = 12
DEMO_SEED = 7




def seed_demo(tmp_path, **overrides):
    options = {"accounts": DEMO_ACCOUNTS, "seed": DEMO_SEED, "as_of": DEMO_AS_OF.isoformat(), **overrides}
    call_command("seed_demo", f"--accounts={options['accounts']}", f"--seed={options['seed']}",
                 f"--as-of={options['as_of']}", f"--output={tmp_path / 'demo.json'}", stdout=_Null())


class _Null:
    def write(self, *_):
        pass

    def flush(self):
        pass


def demo_accounts(tmp_path) -> dict:
    """Seed the demo portfolio (12 accounts, seed 7, as of 2026-11-26): ``{external_id: Account}``
    (acc_00001 … acc_00012)."""
    seed_demo(tmp_path)
    return {a.external_id: a for a in Account.objects.all()}



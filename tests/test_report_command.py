"""``manage.py sponsor_report``: every format, by external or database id, to stdout or a file."""

from __future__ import annotations

import io
import json

import jsonschema
import pytest
from django.core.management import CommandError, call_command
from icalendar import Calendar
from pypdf import PdfReader

from reports.builder import build_sponsor_report
from reports.render_json import load_schema
from reports.render_markdown import to_markdown
from tests.report_demo import DEMO_AS_OF, demo_accounts


@pytest.fixture
def demo(db, tmp_path):
    return demo_accounts(tmp_path)


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("sponsor_report", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_prints_the_markdown_report_by_external_id(demo):
    out, _ = run("acc_00004", "--as-of", "2026-11-26", "--format", "md")
    assert out == to_markdown(build_sponsor_report(account=demo["acc_00004"], as_of=DEMO_AS_OF))


def test_it_finds_the_account_by_database_id_too(demo):
    account = demo["acc_00002"]
    out, _ = run(str(account.pk), "--as-of", "2026-11-26", "--format", "json")
    data = json.loads(out)
    assert data["account"]["name"] == account.name
    jsonschema.validate(data, load_schema())


def test_it_writes_each_binary_and_text_format_to_a_file(demo, tmp_path):
    name = demo["acc_00004"].name
    for fmt in ("pdf", "ics", "html", "json", "md"):
        path = tmp_path / f"report.{fmt}"
        _, err = run("acc_00004", "--as-of", "2026-11-26", "--format", fmt, "-o", str(path))
        assert str(path) in err
        body = path.read_bytes()
        if fmt == "pdf":
            text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages)
            assert name in " ".join(text.split())
        elif fmt == "ics":
            assert len(Calendar.from_ical(body).walk("VEVENT")) >= 1
        else:
            assert name in body.decode()


def test_an_unknown_account_is_an_error_naming_it(demo):
    with pytest.raises(CommandError, match="account 'acc_nope' not found"):
        run("acc_nope", "--format", "md")
    with pytest.raises(CommandError, match="account '999999' not found"):
        run("999999", "--format", "md")


def test_a_bad_date_is_an_error_naming_the_option(demo):
    with pytest.raises(CommandError, match="--as-of: '2026-02-30' is not a date"):
        run("acc_00004", "--as-of", "2026-02-30", "--format", "md")


def test_pdf_to_a_text_stream_asks_for_a_file(demo):
    with pytest.raises(CommandError, match="use -o FILE"):
        run("acc_00004", "--as-of", "2026-11-26", "--format", "pdf")

"""The pages' form renderer: Django's own widget templates, written out in Python for the few widgets the
pages use (inputs, selects, checkboxes, text areas), so a form renders in a fraction of the time.

Django renders every ``<option>`` of a select and every checkbox through its templates: some 10-20 template
variables and tags per option, ~7 us each, so the account workspace's four forms took longer than the rest of
its templates.  ``PythonWidgets`` writes the same HTML as those templates (django/forms/templates/django/
forms/widgets/), byte for byte: tests/test_form_renderer.py renders every widget of the pages' forms, and the
branches they do not reach, both ways.  A widget with any other template (or an option with one) is rendered
by Django's templates as before.

It is the ``default_renderer`` of the pages' forms only: the admin's and the API's keep Django's default.
"""

from __future__ import annotations

from django.forms.renderers import DjangoTemplates
from django.template import Context
from django.template.base import render_value_in_context
from django.utils.html import escape
from django.utils.safestring import SafeData

WIDGETS = "django/forms/widgets/"
_CONTEXT = Context()            # autoescape on, the current time zone and localization: as a template's {{ }}


def _text(value) -> str:
    """``{{ value }}``."""
    return render_value_in_context(value, _CONTEXT)


def _string(value) -> str:
    """``{{ value|stringformat:'s' }}`` (a safe value stays unescaped, as the filter keeps it safe)."""
    text = str(value)                   # what "%s" % value gives for the values widgets hold
    return text if isinstance(value, SafeData) else escape(text)


def _attrs(attrs: dict) -> str:
    """django/forms/widgets/attrs.html."""
    return "".join(f" {_text(name)}" if value is True else f' {_text(name)}="{_string(value)}"'
                   for name, value in attrs.items() if value is not False)


def _input(w: dict) -> str:
    value = f' value="{_string(w["value"])}"' if w["value"] != None else ""     # noqa: E711 (the template's test)
    return f'<input type="{_text(w["type"])}" name="{_text(w["name"])}"{value}{_attrs(w["attrs"])}>\n'


def _input_option(w: dict) -> str:
    if not w["wrap_label"]:
        return _input(w) + "\n"
    label_for = f' for="{_text(w["attrs"]["id"])}"' if w["attrs"].get("id") else ""
    return f"<label{label_for}>{_input(w)} {_text(w['label'])}</label>\n"


def _select_option(w: dict) -> str:
    return f'<option value="{_string(w["value"])}"{_attrs(w["attrs"])}>{_text(w["label"])}</option>\n'


def _select(w: dict) -> str:
    out = [f'<select name="{_text(w["name"])}"{_attrs(w["attrs"])}>']
    for group_name, options, _index in w["optgroups"]:
        if group_name:
            out.append(f'\n  <optgroup label="{_text(group_name)}">')
        out.extend(f"\n  {OPTIONS[o['template_name']](o)}" for o in options)
        if group_name:
            out.append("\n  </optgroup>")
    out.append("\n</select>\n")
    return "".join(out)


def _multiple_input(w: dict) -> str:
    element_id, css = w["attrs"].get("id"), w["attrs"].get("class")
    id_attr = f' id="{_text(element_id)}"' if element_id else ""
    class_attr = f' class="{_text(css)}"' if css else ""
    out = [f"<div{id_attr}{class_attr}>"]
    for group, options, _index in w["optgroups"]:
        if group:
            out.append(f"\n  <div><label>{_text(group)}</label>")
        out.extend(f"<div>\n    {OPTIONS[o['template_name']](o)}</div>" for o in options)
        if group:
            out.append("\n  </div>")
    out.append("\n</div>\n")
    return "".join(out)


def _textarea(w: dict) -> str:
    value = _text(w["value"]) if w["value"] else ""
    return f'<textarea name="{_text(w["name"])}"{_attrs(w["attrs"])}>\n{value}</textarea>\n'


OPTIONS = {WIDGETS + "select_option.html": _select_option,
           WIDGETS + "checkbox_option.html": lambda w: _input_option(w) + "\n",
           WIDGETS + "radio_option.html": lambda w: _input_option(w) + "\n"}
WRITERS = {**{f"{WIDGETS}{name}.html": _input for name in (
               "input", "text", "number", "email", "url", "password", "hidden", "date", "datetime", "time", "search",
               "tel", "color", "checkbox")},
           WIDGETS + "select.html": _select, WIDGETS + "textarea.html": _textarea,
           **{WIDGETS + name: _multiple_input for name in ("multiple_input.html", "checkbox_select.html",
                                                           "radio.html")}}


class PythonWidgets(DjangoTemplates):
    def render(self, template_name, context, request=None):
        write, widget = WRITERS.get(template_name), context.get("widget")
        options = (o for _group, group_options, _index in (widget or {}).get("optgroups", ()) for o in group_options)
        if write is None or any(o["template_name"] not in OPTIONS for o in options):
            return super().render(template_name, context, request)
        return write(widget).strip()


# One instance for every form: its template engine (for any other widget) compiles each template once.
PYTHON_WIDGETS = PythonWidgets()

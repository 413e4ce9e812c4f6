"""Ordering by the spec's vocabularies in the database (severity low … critical, tier, risk …)."""

from django.db.models import Case, IntegerField, Value, When


def vocabulary_rank(field_name: str, words) -> Case:
    """The position of ``field_name``'s value in ``words`` (0, 1, …; null for a value not in it), for sorting."""
    return Case(*(When(**{field_name: word}, then=Value(i)) for i, word in enumerate(words)),
                default=None, output_field=IntegerField())

"""``fast_init`` builds the same records as the dataclass's own ``__init__``, and they stay frozen."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date

import pytest

from sponsors.rules import cadence, facts, scoring
from sponsors.rules.records import fast_init


def _twin(cls):
    """``cls`` defined again with the dataclass's own ``__init__`` (the reference)."""
    return dataclass(frozen=True, slots=True)(type(cls.__name__, (), {
        "__annotations__": {f.name: f.type for f in dataclasses.fields(cls)},
        **{f.name: field(default=f.default, default_factory=f.default_factory) for f in dataclasses.fields(cls)},
    }))


def _state(obj):
    return [getattr(obj, f.name) for f in dataclasses.fields(obj)]


@fast_init
@dataclass(frozen=True, slots=True)
class Sample:
    name: str
    score: int = 0
    notes: tuple = ()
    details: dict = field(default_factory=dict)


def test_every_record_of_the_rules_has_the_quick_init_and_builds_what_the_dataclass_would():
    records = [obj for module in (facts, scoring, cadence) for obj in vars(module).values()
               if isinstance(obj, type) and dataclasses.is_dataclass(obj) and obj.__module__ == module.__name__
               and "__slots__" in vars(obj)]
    assert {r.__name__ for r in records} >= {"ContactFact", "SponsorActivity", "FactorScore", "ScoreBreakdown",
                                             "AccountFacts", "AccountAlignment", "CadenceStatus"}
    for record in records:
        assert record.__init__.__code__.co_filename == "<string>" and "__fi_set_" in " ".join(
            record.__init__.__code__.co_names), record.__name__
        reference = _twin(record)
        required = {f.name: f"{f.name}-value" for f in dataclasses.fields(record)
                    if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING}
        assert _state(record(**required)) == _state(reference(**required)), record.__name__


def test_fields_defaults_and_factories_are_those_of_the_declaration():
    a = Sample("Priya")
    assert (a.name, a.score, a.notes, a.details) == ("Priya", 0, (), {})
    assert Sample("Priya").details is not a.details                  # a fresh dict each time, as field() says
    given = {"x": 1}
    b = Sample("Marcus", 7, ("a",), given)
    assert (b.name, b.score, b.notes) == ("Marcus", 7, ("a",)) and b.details is given
    assert Sample(name="Marcus", details=given, score=7, notes=("a",)) == b
    assert repr(b) == "Sample(name='Marcus', score=7, notes=('a',), details={'x': 1})"


def test_records_stay_frozen_hashable_and_comparable():
    fact = facts.ContactFact(id=1, name="Priya", roles=("c_level",), in_role_since=date(2024, 1, 1))
    with pytest.raises(dataclasses.FrozenInstanceError):
        fact.name = "Someone else"
    assert fact == facts.ContactFact(1, "Priya", "", ("c_level",), None, "active", date(2024, 1, 1))
    assert hash(fact) == hash(facts.ContactFact(id=1, name="Priya", roles=("c_level",),
                                                in_role_since=date(2024, 1, 1)))
    assert dataclasses.replace(fact, status="departed").status == "departed" and fact.status == "active"


def test_wrong_arguments_are_refused_as_by_any_function():
    with pytest.raises(TypeError, match="missing 1 required positional argument: 'name'"):
        Sample()
    with pytest.raises(TypeError, match="unexpected keyword argument 'nme'"):
        Sample(nme="Priya")
    with pytest.raises(TypeError, match="takes from 2 to 5 positional arguments but 6 were given"):
        Sample("a", 1, (), {}, "extra")


@pytest.mark.parametrize("declare", [
    lambda: dataclass(frozen=True)(type("NoSlots", (), {"__annotations__": {"a": int}})),
    lambda: dataclass(slots=True)(type("NotFrozen", (), {"__annotations__": {"a": int}})),
    lambda: dataclass(frozen=True, slots=True)(type("Later", (), {
        "__annotations__": {"a": int}, "__post_init__": lambda self: None})),
    lambda: dataclass(frozen=True, slots=True)(type("KeywordOnly", (), {
        "__annotations__": {"a": int}, "a": field(kw_only=True)})),
    lambda: dataclass(frozen=True, slots=True)(type("NotInInit", (), {
        "__annotations__": {"a": int}, "a": field(default=0, init=False)})),
])
def test_what_it_cannot_do_exactly_is_refused_when_the_class_is_defined(declare):
    with pytest.raises(TypeError, match="fast_init"):
        fast_init(declare())

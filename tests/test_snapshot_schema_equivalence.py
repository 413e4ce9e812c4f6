"""The fast interaction check must say exactly what the shipped JSON Schema says."""

from datetime import date

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sponsors.crm.demo import demo_snapshot
from sponsors.crm.snapshot import SnapshotError, parse_snapshot
from sponsors.crm.snapshot_schema import interaction_is_valid, schema, schema_report

VALIDATOR = jsonschema.Draft202012Validator(
    {"$ref": "#/$defs/interaction", "$defs": schema()["$defs"]}
)

good_ids = st.one_of(st.text(min_size=1, max_size=5), st.integers(-5, 10**6))
any_value = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=8),
                      st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(),
                                                                            max_size=1))
datetimes = st.one_of(
    st.sampled_from(["2026-11-03T15:00:00Z", "2026-11-03T15:00+02:00", "2026-11-03 15:00:00.123-0500",
                     "2026-11-03T15:00:00", "2026-11-03", "03/11/2026 15:00", "2026-11-03T15:00:00z",
                     "2026-13-45T99:99:99Z", "2026-11-03T15:00:00Z\n"]),
    st.text(max_size=25),
)


@st.composite
def interactions(draw):
    it = {
        "id": draw(st.one_of(good_ids, any_value)),
        "type": draw(st.sampled_from(["one_on_one", "qbr", "email", "referral", "lunch", "", None])),
        "occurred_at": draw(datetimes),
        "contact_ids": draw(st.one_of(st.lists(good_ids, max_size=3), st.lists(any_value, max_size=2), any_value)),
        "direction": draw(st.sampled_from(["meeting", "outbound", "inbound", "sideways", None])),
    }
    optional = {
        "purpose": st.sampled_from(["strategic", "operational", None, "social", 3]),
        "topics": st.one_of(st.none(), st.lists(st.text(max_size=5), max_size=2), st.lists(any_value, max_size=2),
                            any_value),
        "outcome": st.one_of(st.none(), st.text(max_size=5), any_value),
        "responded_at": st.one_of(st.none(), datetimes, any_value),
        "logged_by": st.one_of(st.none(), st.text(max_size=5), any_value),
        "sentiment": any_value,  # unknown keys are ignored
    }
    for key, strategy in optional.items():
        if draw(st.booleans()):
            it[key] = draw(strategy)
    for key in ("id", "type", "occurred_at", "contact_ids", "direction"):
        if draw(st.integers(0, 12)) == 0:
            del it[key]
    return it


@settings(max_examples=1500, deadline=None)
@given(interactions())
def test_the_fast_check_agrees_with_the_schema(it):
    assert interaction_is_valid(it) == VALIDATOR.is_valid(it)


def test_the_spec_example_interaction_is_valid():
    it = {"id": "i_1", "type": "one_on_one", "occurred_at": "2026-11-03T15:00:00Z", "contact_ids": ["c_1"],
          "direction": "meeting", "purpose": "strategic", "topics": ["Renewal scope"],
          "outcome": "Agreed to expand to two regions", "responded_at": None, "logged_by": "dana@vendor.example"}
    assert interaction_is_valid(it) and VALIDATOR.is_valid(it)
    assert not interaction_is_valid(it | {"contact_ids": ["c_1", True]})
    assert not interaction_is_valid([it])


def test_a_bad_interaction_found_while_parsing_gives_the_whole_schema_report():
    """Interactions are checked as they are parsed: one that fails after other accounts were parsed (and after a
    semantic problem was seen) still gives exactly the full schema report, as checking first did."""
    doc = demo_snapshot(accounts=4, as_of=date(2026, 11, 20), seed=5)
    doc["accounts"][0]["contacts"].append(dict(doc["accounts"][0]["contacts"][0]))   # a semantic problem first
    doc["accounts"][2]["interactions"][3]["occurred_at"] = "03/11/2026 15:00"
    doc["accounts"][3]["interactions"][0]["contact_ids"] = ["c_1", 2.5]
    with pytest.raises(SnapshotError) as bad:
        parse_snapshot(doc)
    assert bad.value.problems == schema_report(doc)
    assert [p.path for p in bad.value.problems] == ["accounts[2].interactions[3].occurred_at",
                                                    "accounts[3].interactions[0].contact_ids[1]"]

"""The alignment factor's account share (initiatives, goals) is worked out once per account and gives
exactly what working it out per contact gives.  Pure: no database."""

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from sponsors.rules import scoring
from sponsors.rules.facts import AccountFacts, AlignmentFact, ContactFact, GoalFact, SponsorActivity
from sponsors.rules.scoring import account_alignment, score_account, strategic_alignment

AS_OF = date(2026, 11, 20)
WORDS = st.sampled_from(["Cost reduction", "cost  REDUCTION", "Expansion", "Visibility", "Field sales", ""])
ALIGNMENT = st.lists(st.builds(AlignmentFact, WORDS, WORDS, st.sampled_from(["high", "HIGH", "medium", "low"])),
                     max_size=4)
GOALS = st.lists(st.builds(GoalFact, WORDS, st.sampled_from(["on_track", "at_risk", "off_track", "done", "other"]),
                           st.one_of(st.none(), st.floats(-1, 2))), max_size=4)


def executive(id_, priorities=(), sponsor=None):
    return ContactFact(id=id_, name=f"Exec {id_}", roles=("c_level",), sponsor=sponsor, priorities=priorities)


@given(ALIGNMENT, GOALS, st.lists(WORDS, max_size=3))
def test_the_shared_account_part_gives_what_each_contact_would_work_out(alignment, goals, priorities):
    contact = executive(1, tuple(priorities))
    shared = account_alignment(alignment, goals)
    assert strategic_alignment(contact, alignment, goals, account=shared) == strategic_alignment(
        contact, alignment, goals)


def test_an_account_works_its_share_out_once_for_all_its_contacts(monkeypatch):
    calls = []
    real = scoring.account_alignment

    def counting(*args, **kw):
        calls.append(args)
        return real(*args, **kw)

    monkeypatch.setattr(scoring, "account_alignment", counting)
    contacts = (executive(1, ("Expansion",), "primary"), executive(2, ("Visibility",)), executive(3))
    facts = AccountFacts(id=7, name="A", tier="enterprise", contacts=contacts,
                         activity={c.id: SponsorActivity(meetings=2) for c in contacts},
                         alignment=(AlignmentFact("Automation", "Expansion", "high"),),
                         goals=(GoalFact("G", "at_risk"),))
    engagement = score_account(facts, as_of=AS_OF)
    assert len(calls) == 1 and len(engagement.sponsors) == 3
    notes = {b.contact_id: b.factors[3].note for b in engagement.sponsors}
    assert notes == {1: "High on 1/1 initiatives; goals 50% on track; 1/1 own priorities addressed",
                     2: "High on 1/1 initiatives; goals 50% on track; 0/1 own priorities addressed",
                     3: "High on 1/1 initiatives; goals 50% on track"}

from __future__ import annotations

from datetime import date

from icalendar import Calendar

from reports.calendar import DueTouchpoint, PlannedTouchpoint, build_calendar, to_ics

AS_OF = date(2025, 6, 15)


def sample_rows():
    return build_calendar(
        planned=[
            PlannedTouchpoint(date(2025, 7, 15), "qbr", ("Jane Roe", "Sam CSM"), "Q2 review"),
            {"date": date(2025, 6, 20), "event": "Exec Dinner", "attendees": ("Jane Roe",),
             "objective": "Relationship"},
            PlannedTouchpoint(date(2025, 5, 1), "one_on_one", ("Jane Roe",), "Past meeting"),
        ],
        due=[
            DueTouchpoint(date(2025, 7, 10), "one_on_one", "Monthly cadence"),
            DueTouchpoint(date(2025, 6, 1), "strategic_checkin", "Backup check-in"),
            DueTouchpoint(date(2025, 7, 15), "qbr", "Quarterly QBR"),   # already planned
        ],
        default_attendees=("Jane Roe", "Sam CSM"),
        as_of=AS_OF,
    )


def test_it_merges_sorts_and_labels_rows():
    rows = sample_rows()
    assert [(r.date, r.event) for r in rows] == [
        (date(2025, 6, 15), "Strategic Check-in"),
        (date(2025, 6, 20), "Exec Dinner"),
        (date(2025, 7, 10), "1:1"),
        (date(2025, 7, 15), "QBR"),
    ]
    assert rows[0].objective == "Overdue since 2025-06-01 — Backup check-in"
    assert rows[2].attendees == ("Jane Roe", "Sam CSM")
    assert rows[3].objective == "Q2 review"


def test_it_round_trips_through_icalendar():
    rows = sample_rows()
    data = to_ics(rows, account_name="Acme Corp", as_of=AS_OF)
    cal = Calendar.from_ical(data)
    assert cal["PRODID"] == "-//Executive Sponsor Tracker//Reports//EN"
    assert cal["VERSION"] == "2.0"
    events = list(cal.walk("VEVENT"))
    assert len(events) == len(rows)
    assert [e.decoded("DTSTART") for e in events] == [r.date for r in rows]
    assert [str(e["SUMMARY"]) for e in events] == [f"{r.event} — Acme Corp" for r in rows]
    first = events[2]
    assert "Objective: Monthly cadence" in str(first["DESCRIPTION"])
    assert "Attendees: Jane Roe, Sam CSM" in str(first["DESCRIPTION"])
    assert all(e.decoded("DTSTAMP").date() == AS_OF for e in events)
    assert len({str(e["UID"]) for e in events}) == len(events)


def test_uids_are_stable_across_exports():
    rows = sample_rows()
    a = Calendar.from_ical(to_ics(rows, account_name="Acme Corp", as_of=AS_OF))
    b = Calendar.from_ical(to_ics(rows[1:], account_name="Acme Corp", as_of=date(2025, 6, 16)))
    uids_a = [str(e["UID"]) for e in a.walk("VEVENT")]
    uids_b = [str(e["UID"]) for e in b.walk("VEVENT")]
    assert uids_a[1:] == uids_b


def test_an_empty_calendar_is_still_a_valid_file():
    cal = Calendar.from_ical(to_ics((), account_name="Tiny Co", as_of=AS_OF))
    assert list(cal.walk("VEVENT")) == []

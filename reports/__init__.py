"""The Executive Sponsor Report: one plain dataclass in, every output format out.

``reports.report.SponsorReport`` is the contract.  A (later, database-backed) builder
fills it; the pure functions here turn it into Markdown, JSON, HTML, PDF and iCalendar.
Nothing in this package touches the ORM or the clock.
"""

"""A generated, realistic demo portfolio, as a snapshot document (plain dict).

``demo_snapshot(accounts=60, as_of=..., seed=...)`` is deterministic for a seed and date.  The mix
is chosen so every part of the product has something to show: champions, engaged, passive and
disengaged primary sponsors, accounts with no sponsor, missing backups, a recent sponsor departure
(reported by LinkedIn, not yet in the CRM), a low-confidence news item awaiting confirmation,
QBRs with and without executives, and an operational e-mail sent to an executive.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

FORMAT = "exec-sponsor-snapshot/1"

PREFIXES = ["North", "Blue", "Silver", "Bright", "Iron", "Cedar", "Summit", "Harbor", "Granite", "Maple",
            "Pioneer", "Clear", "Red", "Golden", "Stone", "Falcon", "Atlas", "Beacon", "Orchid", "Quantum",
            "Vertex", "Willow", "Copper", "Lumen", "Nimbus", "Polar", "Sterling", "Tidal", "Union", "Evergreen"]
SUFFIXES = ["wind", "ridge", "field", "gate", "stone", "bridge", "point", "line", "works", "peak", "view", "way"]
KINDS = {
    "Healthcare": ["Health", "Medical", "Care"], "Financial services": ["Financial", "Capital", "Bank"],
    "Manufacturing": ["Industries", "Manufacturing", "Components"], "Retail": ["Retail", "Stores", "Brands"],
    "Logistics": ["Logistics", "Freight", "Shipping"], "Software": ["Software", "Systems", "Labs"],
    "Energy": ["Energy", "Power", "Utilities"], "Education": ["Learning", "Education", "Academy"],
}
FIRST = ["Priya", "Marcus", "Elena", "David", "Aisha", "Tom", "Sofia", "Kenji", "Grace", "Omar", "Lena", "Raj",
         "Chloe", "Jonas", "Fatima", "Lucas", "Mei", "Daniel", "Ingrid", "Samuel", "Nadia", "Victor", "Hannah",
         "Mateo", "Yara", "Ben", "Olivia", "Tariq", "Freya", "Andre"]
LAST = ["Natarajan", "Holt", "Petrova", "Okafor", "Khan", "Brennan", "Alvarez", "Tanaka", "Liu", "Haddad",
        "Fischer", "Mehta", "Dubois", "Berg", "Rahman", "Costa", "Wong", "Schwartz", "Larsen", "Adeyemi",
        "Novak", "Moreau", "Kowalski", "Silva", "Nasser", "Walsh", "Murphy", "Aziz", "Jensen", "Romero"]
EXEC_TITLES = [("Chief Operating Officer", ["c_level"]), ("Chief Financial Officer", ["c_level"]),
               ("Chief Information Officer", ["c_level"]), ("Chief Customer Officer", ["c_level"]),
               ("VP Operations", ["vp"]), ("VP Engineering", ["vp"]), ("VP Finance", ["vp"]),
               ("SVP Strategy", ["vp"]), ("Chief Technology Officer", ["c_level"])]
OTHER_TITLES = [("Director of IT", ["director"]), ("Operations Manager", ["other"]),
                ("Director of Analytics", ["director"]), ("Program Manager", ["other"])]
PRIORITIES = ["Operational efficiency", "Cost reduction", "Revenue growth", "Customer experience",
              "Risk and compliance", "Digital transformation", "Data-driven decisions", "Talent retention"]
INITIATIVES = {"Operational efficiency": "Workflow automation rollout", "Cost reduction": "License consolidation",
               "Revenue growth": "Upsell analytics", "Customer experience": "Self-service portal",
               "Risk and compliance": "Audit trail module", "Digital transformation": "Cloud migration",
               "Data-driven decisions": "Executive dashboards", "Talent retention": "Team enablement program"}
GOALS = ["Cut processing time 30%", "Reach 90% adoption", "Consolidate three tools into one",
         "Launch self-service in two regions", "Pass the annual audit without findings", "Halve onboarding time"]
PREFS = ["in_person", "video", "email", "phone"]
TOPICS = ["Renewal scope", "Roadmap preview", "Adoption review", "Budget planning", "Expansion", "Security review",
          "Value realisation", "Org changes", "Executive dashboard", "Integration plan"]
OUTCOMES = ["Agreed next steps", "Asked for a business case", "Positive feedback on rollout",
            "Concerned about adoption", "Agreed to expand scope", "Requested a roadmap deep-dive",
            "Delegated follow-up to the team", "Introduced us to a peer"]
CSMS = [("dana@vendor.example", "Dana Reyes"), ("li@vendor.example", "Li Wei"), ("maya@vendor.example", "Maya Cohen"),
        ("tobi@vendor.example", "Tobi Adebayo"), ("nora@vendor.example", "Nora Lindqvist"),
        ("raf@vendor.example", "Rafael Ortega")]
AES = [("jo@vendor.example", "Jo Park"), ("ken@vendor.example", "Ken Mori"), ("ava@vendor.example", "Ava Singh")]
MANAGERS = [("sam@vendor.example", "Sam Ortiz"), ("ines@vendor.example", "Ines Duarte")]

TIER_MIX = [("enterprise", 0.3), ("mid_market", 0.4), ("smb", 0.3)]
MEETINGS_PER_YEAR = {"enterprise": 12, "mid_market": 4, "smb": 2}
ARR = {"enterprise": (250_000, 1_200_000), "mid_market": (60_000, 250_000), "smb": (8_000, 60_000)}
# Primary sponsor archetypes and their share of the portfolio.
ARCHETYPES = [("champion", 0.2), ("engaged", 0.3), ("passive", 0.25), ("disengaged", 0.15), ("no_sponsor", 0.05),
              ("departed", 0.05)]


def _pick(rng, weighted):
    r, acc = rng.random(), 0.0
    for value, weight in weighted:
        acc += weight
        if r < acc:
            return value
    return weighted[-1][0]


def _at(day: date, rng) -> str:
    return datetime.combine(day, time(rng.randint(8, 17), rng.choice([0, 15, 30, 45])), UTC).isoformat() \
        .replace("+00:00", "Z")


class _Account:
    def __init__(self, rng, index, tier, archetype, as_of, interactions_scale):
        self.rng, self.index, self.tier, self.archetype, self.as_of = rng, index, tier, archetype, as_of
        self.scale = interactions_scale
        self.contacts, self.interactions, self.org_changes = [], [], []
        self.csm = CSMS[index % len(CSMS)]
        self.n = 0

    def contact(self, title_roles, sponsor=None, status="active", years=None):
        rng = self.rng
        title, roles = title_roles
        if sponsor and "executive_sponsor" not in roles:
            roles = ["executive_sponsor", *roles]
        first, last = rng.choice(FIRST), rng.choice(LAST)
        cid = f"c_{len(self.contacts) + 1}"
        years = years if years is not None else rng.uniform(0.3, 7)
        self.contacts.append({
            "id": cid, "name": f"{first} {last}", "title": title,
            "email": f"{first.lower()}.{last.lower()}@{self.domain}", "roles": roles, "sponsor": sponsor,
            "in_role_since": (self.as_of - timedelta(days=int(years * 365))).isoformat(),
            "priorities": rng.sample(PRIORITIES, 2), "communication_preference": rng.choice(PREFS),
            "linkedin_url": f"https://www.linkedin.com/in/{first.lower()}-{last.lower()}-{self.index}",
            "status": status,
        })
        return cid

    def interaction(self, itype, day, contact_ids, direction, purpose="strategic", reply_days=None):
        rng = self.rng
        self.n += 1
        occurred = _at(day, rng)
        responded = None
        if direction == "outbound" and reply_days is not None:
            responded = (datetime.fromisoformat(occurred.replace("Z", "+00:00")) + timedelta(days=reply_days)) \
                .isoformat().replace("+00:00", "Z")
        self.interactions.append({
            "id": f"i_{self.n}", "type": itype, "occurred_at": occurred, "contact_ids": contact_ids,
            "direction": direction, "purpose": purpose, "topics": rng.sample(TOPICS, rng.randint(1, 3)),
            "outcome": rng.choice(OUTCOMES) if direction != "outbound" else "",
            "responded_at": responded, "logged_by": self.csm[0],
        })

    def days_ago(self, lo, hi):
        return self.as_of - timedelta(days=self.rng.randint(lo, hi))

    def exec_activity(self, cid, style, *, share=1.0):
        """A year and a bit of touchpoints with one executive, shaped by the archetype."""
        rng, target = self.rng, MEETINGS_PER_YEAR[self.tier]
        meet_rate = {"champion": 1.2, "engaged": 0.8, "passive": 0.3, "disengaged": 0.0, "departed": 0.7}[style]
        meetings = max(0, round(target * meet_rate * share * self.scale))
        kinds = {"enterprise": ["one_on_one", "exec_dinner", "strategic_checkin", "call"],
                 "mid_market": ["strategic_checkin", "call", "one_on_one"], "smb": ["business_review", "call"]}
        recent = {"champion": 25, "engaged": 40, "passive": 120, "disengaged": 200, "departed": 45}[style]
        for k in range(meetings):
            # The latest meeting is ``recent`` days back at most; the rest spread over the year.
            day = self.days_ago(3, recent) if k == 0 else self.days_ago(5, 360)
            self.interaction(rng.choice(kinds[self.tier]), day, [cid], "meeting")
        outreach = max(1, round({"champion": 4, "engaged": 4, "passive": 5, "disengaged": 3, "departed": 3}[style]
                                * share * self.scale))
        for _ in range(outreach):
            if style == "disengaged":
                self.interaction("email", self.days_ago(20, 300), [cid], "outbound", reply_days=None)
            else:
                reply = {"champion": rng.uniform(0.2, 1.5), "engaged": rng.uniform(1, 4),
                         "passive": rng.choice([None, rng.uniform(6, 12)]), "departed": rng.uniform(1, 5)}[style]
                self.interaction("email", self.days_ago(5, 330), [cid], "outbound",
                                 reply_days=None if reply is None else round(reply, 2))
        if style == "disengaged":
            self.interaction("one_on_one", self.days_ago(220, 320), [cid], "meeting")
        if style == "champion":
            self.interaction(rng.choice(["referral", "advocacy"]), self.days_ago(10, 200), [cid], "inbound")
        if style in ("engaged", "champion") and rng.random() < 0.5:
            self.interaction("email", self.days_ago(5, 120), [cid], "inbound")

    def qbrs(self, exec_attendance: dict, delegates):
        """Quarterly (enterprise, mid-market) or semi-annual (SMB) business reviews."""
        every = 91 if self.tier != "smb" else 182
        itype = "qbr" if self.tier != "smb" else "business_review"
        day = self.as_of - timedelta(days=self.rng.randint(10, every - 5))
        while day > self.as_of - timedelta(days=365):
            attendees = [cid for cid, p in exec_attendance.items() if self.rng.random() < p] + delegates[:1]
            if attendees:
                self.interaction(itype, day, attendees, "meeting")
            day -= timedelta(days=every)


def demo_snapshot(*, accounts: int = 60, as_of: date, seed: int = 7, interactions_scale: float = 1.0) -> dict:
    """A snapshot document of ``accounts`` accounts as of ``as_of`` (deterministic for a seed: the steps
    below draw from one random generator in a fixed order)."""
    rng = random.Random(seed)
    entries, used_names = [], set()
    archetypes = [_pick(rng, ARCHETYPES) for _ in range(accounts)]
    # Make sure the showcase cases exist in every portfolio of a reasonable size.
    for i, forced in enumerate(["departed", "no_sponsor", "champion", "disengaged", "passive"][:accounts]):
        archetypes[(i * 7 + 1) % accounts] = forced
    for index in range(accounts):
        tier = "enterprise" if index < 3 else _pick(rng, TIER_MIX)
        industry = rng.choice(list(KINDS))
        name = _unique_name(rng, industry, index, used_names)
        a = _Account(rng, index, tier, archetypes[index], as_of, interactions_scale)
        a.domain = name.split()[0].lower() + ".example"
        primary, backup, other_exec = _people_and_activity(a, rng)
        _org_changes(a, rng, as_of, primary=primary, backup=backup, other_exec=other_exec)
        entries.append(_entry(a, rng, index=index, name=name, tier=tier, industry=industry, as_of=as_of))
    _add_operational_email_to_an_executive(entries, as_of, seed)
    return {"format": FORMAT, "exported_at": datetime.combine(as_of, time(6, 0), UTC).isoformat()
            .replace("+00:00", "Z"), "accounts": entries}


def _unique_name(rng, industry, index, used_names) -> str:
    name = f"{rng.choice(PREFIXES)}{rng.choice(SUFFIXES)} {rng.choice(KINDS[industry])}"
    while name in used_names:
        name = f"{name} {rng.choice(['Group', 'Holdings', 'International', 'Partners'])}"
        if name in used_names:
            name = f"{name} {index}"
    used_names.add(name)
    return name


def _people_and_activity(a, rng):
    """The account's delegates and executives, their interactions and QBRs; ``(primary, backup, other_exec)``."""
    arch = a.archetype
    delegates = [a.contact(rng.choice(OTHER_TITLES)) for _ in range(rng.randint(1, 2))]
    primary = None
    if arch != "no_sponsor":
        primary = a.contact(rng.choice(EXEC_TITLES), sponsor="primary", years=rng.uniform(0.2, 6))
    has_backup = arch != "no_sponsor" and rng.random() < 0.62
    backup = a.contact(rng.choice(EXEC_TITLES), sponsor="backup") if has_backup else None
    other_exec = a.contact(rng.choice(EXEC_TITLES)) if rng.random() < 0.4 else None
    attendance = {}
    if primary:
        a.exec_activity(primary, arch)
        attendance[primary] = {"champion": 1.0, "engaged": 0.8, "passive": 0.3, "disengaged": 0.0,
                               "departed": 0.7}[arch]
    if backup:
        a.exec_activity(backup, rng.choice(["engaged", "passive", "champion"]), share=0.5)
        attendance[backup] = 0.4
    if other_exec:
        a.exec_activity(other_exec, rng.choice(["engaged", "passive", "disengaged"]), share=0.4)
        attendance[other_exec] = 0.2
    a.qbrs(attendance, delegates)
    for _ in range(round(rng.randint(2, 6) * a.scale)):
        a.interaction(rng.choice(["call", "email", "other"]), a.days_ago(1, 360), [rng.choice(delegates)],
                      rng.choice(["meeting", "outbound", "inbound"]), purpose="operational")
    if primary and rng.random() < 0.08:
        a.interaction("email", a.days_ago(5, 60), [primary], "outbound", purpose="operational", reply_days=2)
    return primary, backup, other_exec


def _org_changes(a, rng, as_of, *, primary, backup, other_exec) -> None:
    """A departed sponsor's LinkedIn departure; now and then a promotion in the news."""
    if a.archetype == "departed" and primary:
        sponsor = next(c for c in a.contacts if c["id"] == primary)
        a.org_changes.append({
            "id": "oc_1", "contact_id": primary, "kind": "departure", "occurred_on":
            (as_of - timedelta(days=3)).isoformat(), "source": "linkedin",
            "headline": f"{sponsor['name']} joined Contoso as Chief Executive Officer", "url": None,
            "confidence": 0.92})
    if rng.random() < 0.1 and (backup or other_exec):
        who = next(c for c in a.contacts if c["id"] == (other_exec or backup))
        a.org_changes.append({
            "id": f"oc_{len(a.org_changes) + 1}", "contact_id": who["id"], "kind": "promotion",
            "occurred_on": (as_of - timedelta(days=rng.randint(5, 60))).isoformat(), "source": "news",
            "headline": f"{who['name']} named Executive Vice President", "url": None,
            "confidence": rng.choice([0.5, 0.95])})


def _entry(a, rng, *, index, name, tier, industry, as_of) -> dict:
    """The account's snapshot entry: the account with its contract, goals and alignment, and its people."""
    priorities = sorted({p for c in a.contacts if c.get("sponsor") for p in c["priorities"]}) or \
        rng.sample(PRIORITIES, 2)
    alignment = [{"our_initiative": INITIATIVES[p], "their_priority": p,
                  "alignment": rng.choice(["high", "high", "medium", "low"])} for p in priorities[:3]]
    arr = rng.randint(*ARR[tier]) // 1000 * 1000
    start = as_of - timedelta(days=rng.randint(200, 1500))
    team = [{"email": a.csm[0], "name": a.csm[1], "role": "csm"},
            {"email": AES[index % len(AES)][0], "name": AES[index % len(AES)][1], "role": "account_executive"},
            {"email": MANAGERS[index % 2][0], "name": MANAGERS[index % 2][1], "role": "manager"}]
    return {
        "account": {
            "id": f"acc_{index + 1:05d}", "name": name, "tier": tier, "industry": industry,
            "owner": {"email": a.csm[0], "name": a.csm[1]}, "team": team,
            "contract": {"arr": arr, "currency": "USD", "start_date": start.isoformat(),
                         "renewal_date": (start + timedelta(days=365 * ((as_of - start).days // 365 + 1)))
                         .isoformat()},
            "goals": [{"name": g, "status": rng.choice(["on_track", "on_track", "at_risk", "off_track", "done"]),
                       "progress": round(rng.uniform(0.1, 1.0), 2)} for g in rng.sample(GOALS, 2)],
            "alignment": alignment,
        },
        "contacts": a.contacts,
        "interactions": a.interactions,
        "metrics": {"as_of": as_of.replace(day=1).isoformat(), "roi": round(rng.uniform(0.8, 4.5), 1),
                    "strategic_goals_progress": round(rng.uniform(0.1, 0.95), 2),
                    "executive_dashboard_views": rng.randint(0, 40)},
        "org_changes": a.org_changes,
    }


def _add_operational_email_to_an_executive(entries, as_of, seed):
    """Guarantee the guardrail showcase (an operational e-mail sent to a sponsor) in every portfolio.

    Added after the main loop with its own random source, so it changes no other account."""
    rng = random.Random(seed * 7919 + 1)
    for entry in entries[4:] + entries[:4]:
        primary = next((c for c in entry["contacts"] if c.get("sponsor") == "primary"), None)
        if primary is None:
            continue
        day = as_of - timedelta(days=rng.randint(5, 40))
        entry["interactions"].append({
            "id": f"i_{len(entry['interactions']) + 1}", "type": "email", "occurred_at": _at(day, rng),
            "contact_ids": [primary["id"]], "direction": "outbound", "purpose": "operational",
            "topics": ["Support ticket escalation"], "outcome": "", "responded_at": None,
            "logged_by": entry["account"]["owner"]["email"],
        })
        return

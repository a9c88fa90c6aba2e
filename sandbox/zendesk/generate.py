"""Deterministic sample data: organisations with tiers and ARR, their users, and feedback tickets that point
at other trackers' issues the way real tickets do (a Jira link, the link field, a URL in the description, a
bare key in the subject). The ground truth of who references what is kept in ``data.expected_links``.

The tickets are as messy as a real help desk's (``TicketObject`` in support-oas.full.yaml declares every
one of these nullable or optional): most have no assignee, group or priority, many no type, some are
asked by a person of no organisation (the B2C case), tasks carry ``due_at``, every ticket carries the
``custom_status_id`` of its status (``CustomStatusObject``), and a few are deleted, which the incremental
export still lists with ``status: "deleted"`` (incremental_exports, "Incremental Ticket Export").
"""

from __future__ import annotations

import random

from sandbox.zendesk.data import (
    Comment,
    Group,
    JiraLink,
    Organization,
    Ticket,
    TicketField,
    User,
    ZendeskData,
)

ANCHOR = 1_780_000_000.0  # 2026-05-28: generated history ends here, so it is never "the last minute"
DAY = 86_400.0
ADMIN_EMAIL = "admin@example.com"
# logical name -> (field title, field type); ids are FIELD_BASE + position
FIELDS = {
    "linked_issue": ("Linked issue", "text"),
    "linked_status": ("Engineering status", "text"),
    "rank": ("Engineering rank", "integer"),
    "score": ("Priority score", "decimal"),
    "product_area": ("Product area", "text"),
    "linked_key": ("Engineering issue", "text"),  # the one linked issue the engineering fields describe
    "report": ("Ranking report", "text"),  # the link to the issue's page in rankbridge's report
}
FIELD_BASE = 360_000_100
TIERS = (  # tier, share, ARR range, size range
    ("enterprise", 0.2, 200_000, 2_000_000, 1_000, 20_000),
    ("business", 0.35, 30_000, 200_000, 100, 1_000),
    ("starter", 0.45, 2_000, 30_000, 5, 100),
)
COMPANIES = (
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Hooli",
    "Stark",
    "Wayne",
    "Tyrell",
    "Cyberdyne",
    "Soylent",
    "Wonka",
    "Gringotts",
    "Aperture",
    "Vandelay",
    "Dunder",
    "Pied Piper",
    "Massive",
    "Oscorp",
    "Nakatomi",
    "Monarch",
)
FIRST = ("Ana", "Ben", "Chloé", "Dev", "Eun", "Femi", "Gus", "Hana", "Ivan", "Jo", "Kai", "Lena", "Mo", "Nia")
LAST = ("Ng", "Silva", "Okafor", "Berg", "Kowalski", "Tanaka", "Haddad", "Moreau", "Singh", "Olsen")
ASKS = (
    "Export to CSV times out for large reports",
    "SSO login loops back to the sign-in page",
    "Dashboard charts render blank in Safari",
    "Webhook retries flood our endpoint",
    "Need bulk edit for user roles",
    "API returns 500 when filtering by date",
    "Invoices show wrong VAT",
    "Search ignores accented characters",
    "Mobile app crashes on upload",
    "Slack notifications delayed",
    "Audit log missing permission changes",
    "Please add dark mode",
    "Sync with Salesforce drops contacts",
    "Report scheduler skips weekends",
    "Two-factor codes arrive late",
)
GROUPS = ("Support", "Escalations", "Billing", "Product feedback")
STATUSES = (("new", 20), ("open", 35), ("pending", 10), ("hold", 10), ("solved", 20), ("closed", 5))
TAGS = ("bug", "feature_request", "billing", "api", "ui", "performance", "integration", "mobile")
PRIORITIES = ("urgent", "high", "normal", "normal", "low", None, None, None, None, None, None)
TYPES = ("question", "incident", "problem", "task", None, None)
# status -> the id of its system custom status (one per status category, as an account without custom
# statuses of its own has them); "deleted" keeps the one it had
CUSTOM_STATUS_IDS = {"new": 1, "open": 2, "pending": 3, "hold": 4, "solved": 5, "closed": 5}
SHARES = {"no_assignee": 0.55, "no_group": 0.5, "no_org": 0.15, "deleted": 0.04}
_TEXT_AND_FIELD = (("field_key", 1), ("field_url", 1), ("url_in_description", 2), ("key_in_subject", 2))
HOW = {  # how a ticket points at an issue of each service, and the weight of each way
    "jira": (("jira_link", 3), *_TEXT_AND_FIELD),
    "github": _TEXT_AND_FIELD,
    "linear": _TEXT_AND_FIELD,
}
EXPLICIT = ("jira_link", "field_key", "field_url")
BY_URL = ("jira_link", "field_url", "url_in_description")  # ways that name the tracker, not only a key


def field_id(name: str) -> int:
    return FIELD_BASE + list(FIELDS).index(name)


def _pick(rng: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([w[0] for w in weighted], weights=[w[1] for w in weighted])[0]


def populate(data: ZendeskData, items: int, seed: int, references: list[dict[str, str]]) -> None:
    rng = random.Random(f"zendesk:{seed}")
    for name, (title, kind) in FIELDS.items():
        data.fields[field_id(name)] = TicketField(field_id(name), title, kind)
    for index, name in enumerate(GROUPS):
        data.groups[20 + index] = Group(20 + index, name)
    data.users[9000] = User(9000, "Sandbox Admin", ADMIN_EMAIL, "admin", None, ANCHOR - 400 * DAY)
    for index in range(3):
        uid = 9001 + index
        data.users[uid] = User(
            uid, f"Agent {FIRST[index]}", f"agent{index}@example.com", "agent", None, ANCHOR - 400 * DAY
        )
    customers = _organizations(data, rng, max(3, items // 8))
    people = _people_without_organization(data, rng, max(2, items // 12))
    refs = [r for r in references if r.get("service") in HOW and r.get("key")]
    services_of: dict[str, set[str]] = {}
    for ref in refs:
        services_of.setdefault(ref["key"], set()).add(ref["service"])
    # A key two trackers share (Jira's ENG-8 and Linear's ENG-8) is written as a URL, as people do.
    shared = {key for key, services in services_of.items() if len(services) > 1}
    for index in range(items):
        _ticket(data, rng, 101 + index, (customers, people), refs, shared)


def _organizations(data: ZendeskData, rng: random.Random, count: int) -> list[User]:
    customers: list[User] = []
    for index in range(count):
        tier, _, arr_low, arr_high, size_low, size_high = rng.choices(TIERS, weights=[t[1] for t in TIERS])[0]
        org_id = 500 + index
        suffix = f" {index // len(COMPANIES) + 1}" if index >= len(COMPANIES) else ""
        created = ANCHOR - rng.uniform(200, 400) * DAY
        fields = {
            "tier": tier,
            "arr": round(rng.uniform(arr_low, arr_high), -2),
            "size": rng.randint(size_low, size_high),
        }
        data.add_organization(
            Organization(
                org_id,
                f"{COMPANIES[index % len(COMPANIES)]}{suffix}",
                fields,
                [tier],
                created,
                created + rng.uniform(0, 150) * DAY,
            )
        )
        for person in range(rng.randint(1, 3)):
            user_id = 10_000 + index * 10 + person
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            email = f"{name.split()[0].lower()}.{user_id}@{COMPANIES[index % len(COMPANIES)].lower()}.example"
            user = User(user_id, name, email.replace(" ", ""), "end-user", org_id, created)
            data.users[user_id] = user
            customers.append(user)
    return customers


def _people_without_organization(data: ZendeskData, rng: random.Random, count: int) -> list[User]:
    """End users of no organisation: a consumer product's customers write in as themselves."""
    people = []
    for index in range(count):
        user_id = 80_000 + index
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        email = f"{name.split()[0].lower()}.{user_id}@mail.example"
        people.append(User(user_id, name, email, "end-user", None, ANCHOR - 300 * DAY))
        data.users[user_id] = people[-1]
    return people


def _ticket(
    data: ZendeskData,
    rng: random.Random,
    ticket_id: int,
    requesters: tuple[list[User], list[User]],
    refs: list[dict[str, str]],
    shared: set[str],
) -> None:
    customers, people = requesters
    requester = rng.choice(people if rng.random() < SHARES["no_org"] else customers)
    created = ANCHOR - rng.uniform(1, 180) * DAY
    updated = min(ANCHOR, created + rng.uniform(0, 20) * DAY)
    status = _pick(rng, tuple((s, w) for s, w in STATUSES))
    subject = rng.choice(ASKS)
    description = f"Hi team,\n\n{subject.lower()} since last week. Our admins see it daily.\n\nThanks"
    unassigned = status == "new" or rng.random() < SHARES["no_assignee"]
    ticket = Ticket(
        ticket_id,
        subject,
        description,
        status,
        rng.choice(PRIORITIES),
        requester.id,
        requester.organization_id,
        None if rng.random() < SHARES["no_group"] else rng.choice(list(data.groups)),
        None if unassigned else rng.choice([9001, 9002, 9003]),
        sorted(set(rng.sample(TAGS, rng.randint(0, 3)))),
        {field_id("product_area"): rng.choice(["reports", "auth", "api", "billing", "mobile"])},
        created,
        updated,
        type=rng.choice(TYPES),
        custom_status_id=CUSTOM_STATUS_IDS[status],
    )
    if ticket.type == "task":
        ticket.due_at = created + rng.uniform(3, 40) * DAY
    if rng.random() < SHARES["deleted"]:
        ticket.status = "deleted"  # no references: a deleted ticket is no one's evidence
        data.add_ticket(ticket)
        return
    roll = rng.random()
    count = 0 if not refs or roll < 0.15 else (2 if roll > 0.85 else 1)
    used_field = False
    for ref in rng.sample(refs, min(count, len(refs))):
        ways = HOW[ref["service"]]
        if ref["key"] in shared:
            ways = tuple(w for w in ways if w[0] in BY_URL)
        how = _pick(rng, ways)
        if how.startswith("field") and used_field:
            how = "url_in_description"
        used_field = used_field or how.startswith("field")
        _reference(data, ticket, ref, how, len(data.links) + 1)
    ticket.comments.append(Comment(ticket_id * 10, requester.id, ticket.description, True, created))
    if status not in ("new",) and rng.random() < 0.5:
        ticket.comments.append(
            Comment(ticket_id * 10 + 1, 9001, "Thanks, we are looking into it.", True, created + 3600)
        )
    data.add_ticket(ticket)


def _reference(data: ZendeskData, ticket: Ticket, ref: dict[str, str], how: str, link_id: int) -> None:
    key, url = ref["key"], ref.get("url") or ""
    if how == "jira_link":
        issue_id = str(ref.get("native_id") or key)
        data.links[link_id] = JiraLink(link_id, ticket.id, issue_id, key, ticket.created)
    elif how == "field_key":
        ticket.custom[field_id("linked_issue")] = key
    elif how == "field_url" and url:
        ticket.custom[field_id("linked_issue")] = url
    elif how == "key_in_subject":
        ticket.subject = f"{ticket.subject} ({key})"
    else:
        how = "url_in_description" if url else "key_in_subject"
        if url:
            ticket.description += f"\n\nThis looks like {url} - any update?"
        else:
            ticket.subject = f"{ticket.subject} ({key})"
    data.expected_links.append(
        {
            "ticket": str(ticket.id),
            "ticket_key": f"#{ticket.id}",
            "service": ref["service"],
            "key": key,
            "url": url,
            "native_id": str(ref.get("native_id") or ""),
            "how": how,
            "explicit": how in EXPLICIT,
        }
    )

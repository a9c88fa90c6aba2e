"""The names rule expressions may use, what each means and its type (checked when rules load).

Types: ``number`` (int or float; the ones marked optional may be None), ``text``, ``bool``, ``list``,
``map`` and ``any``.
"""

from __future__ import annotations

NUMBER, TEXT, BOOL, LIST, MAP, NONE, ANY = "number", "text", "bool", "list", "map", "none", "any"

_ENTRIES: dict[str, tuple[str, str]] = {
    # the item itself
    "key": (TEXT, "the item's key, e.g. ENG-42 or acme/app#12 (two trackers may share one)"),
    "ref": (TEXT, "the item's qualified reference CONNECTION:KEY, e.g. linear:ENG-42 (unique)"),
    "title": (TEXT, "the item's title"),
    "kind": (TEXT, "issue, epic or feedback"),
    "source": (TEXT, "jira, github, linear or zendesk"),
    "connection": (TEXT, "the connection's name in the config"),
    "status": (TEXT, "the native status name"),
    "status_category": (TEXT, "triage, backlog, todo, in_progress, done or canceled"),
    "priority_level": (NUMBER, "0 none, 1 urgent, 2 high, 3 medium, 4 low"),
    "labels": (LIST, "list of labels (use 'x' in labels)"),
    "estimate": (NUMBER, "the estimate × [scoring.estimate_scale] of its connection, or None"),
    "estimate_raw": (NUMBER, "the estimate in the connection's own unit, or None"),
    "estimate_source": (TEXT, "where the estimate came from: a project field, a label, the tracker's"),
    "due_in_days": (NUMBER, "days until the due date (negative when overdue), or None"),
    "age_days": (NUMBER, "days since the item was created"),
    "container": (TEXT, "Jira project, repository, Linear team or Zendesk group"),
    "fields": (MAP, "configured custom fields by name (fields['Story Points'])"),
    # its parent or epic
    "has_parent": (BOOL, "True when the item has a parent or epic"),
    "parent_key": (TEXT, "the parent's or epic's key, or ''"),
    "parent_title": (TEXT, "the parent's or epic's title, or ''"),
    "parent_labels": (LIST, "the parent's or epic's labels"),
    "children": (NUMBER, "number of child items"),
    # evidence: linked feedback, merged over mirrors
    "feedback_count": (NUMBER, "feedback items (tickets, customer needs) requesting this item"),
    "feedback_orgs": (NUMBER, "distinct organisations among them"),
    "feedback_arr": (NUMBER, "ARR of those distinct organisations"),
    "enterprise_orgs": (NUMBER, "distinct organisations of tier 'enterprise' requesting this item"),
    "tiers": (LIST, "the requesting organisations' tiers (distinct, lower case)"),
    "orgs_by_tier": (MAP, "tier -> distinct requesting organisations (orgs_by_tier['enterprise'])"),
    "requests_by_tier": (MAP, "tier -> requests from organisations of that tier"),
    "newest_request_days": (NUMBER, "days since the newest request, or None"),
    "oldest_request_days": (NUMBER, "days since the oldest request, or None"),
    "sla_breaches": (NUMBER, "requests whose [scoring] sla_field is true"),
    "weighted_requests": (NUMBER, "requests, each weighted by its importance ([scoring.evidence])"),
    "decayed_requests": (NUMBER, "requests, each weighing 0.5 ** (age / half_life_days)"),
    "decayed_arr": (NUMBER, "ARR of the asking customers, each weighted by the decay of its newest request"),
    "arr_where": (MAP, "'field=value' -> ARR of the asking customers with that tier or organisation field"),
    "orgs_where": (MAP, "'field=value' -> asking customers with that tier or organisation field"),
    "requests_where": (MAP, "'field=value' -> requests from customers with that tier or organisation field"),
    "days_to_renewal": (NUMBER, "days to the soonest renewal date of an asking customer, or None"),
    "churn_risk_orgs": (NUMBER, "asking customers whose churn field flags a risk"),
    "churn_risk_arr": (NUMBER, "ARR of those customers"),
    "rolled_up_requests": (NUMBER, "requests an item has through its children (rollup_to_epic)"),
    "mirrors": (NUMBER, "number of mirrors of this item in other trackers"),
    "mirror_keys": (LIST, "keys of those mirrors"),
    "mirror_categories": (LIST, "status categories of those mirrors (distinct)"),
    "mirrors_done": (BOOL, "True when the item has mirrors and all of them are completed (done)"),
    "mirrors_closed": (BOOL, "True when the item has mirrors and all of them are done or canceled"),
    # for feedback items: "done" is completed work only; "canceled" is work closed without being done
    # (Won't Do, closed as not planned, a canceled or duplicate Linear issue); "closed" is either.
    "linked_count": (NUMBER, "for feedback: issues it asks for"),
    "linked_done": (NUMBER, "for feedback: those of them completed (done, not canceled)"),
    "linked_canceled": (NUMBER, "for feedback: those of them closed without being done (canceled)"),
    "linked_closed": (NUMBER, "for feedback: those of them done or canceled"),
    "linked_open": (NUMBER, "for feedback: those of them still open"),
    "linked_all_done": (BOOL, "for feedback: True when it asks for at least one issue and all are completed"),
    "linked_all_closed": (BOOL, "for feedback: True when it asks for at least one issue and all are closed"),
    "linked_keys": (LIST, "for feedback: keys of the issues it asks for"),
    "linked_refs": (LIST, "for feedback: qualified references of those issues (linear:ENG-4), for notes"),
    "linked_done_keys": (LIST, "for feedback: keys of those completed"),
    "linked_canceled_keys": (LIST, "for feedback: keys of those canceled"),
    "linked_open_keys": (LIST, "for feedback: keys of those still open"),
}

VOCABULARY: dict[str, str] = {name: meaning for name, (_, meaning) in _ENTRIES.items()}
TYPES: dict[str, str] = {name: kind for name, (kind, _) in _ENTRIES.items()}

THEMES_NAME = "themes"
THEMES_MEANING = "names of the active roadmap themes the item matches (adjustments only)"

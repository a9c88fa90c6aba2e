"""The documented query parameters of the Jira operations the emulator serves, as
platform-swagger-v3.v3.full.json describes them: which it honours, and which values it answers 501.

``GET /rest/api/3/issue/{issueIdOrKey}`` (getIssue) ``expand``: ``renderedFields`` (field values rendered
as HTML), ``names`` (each field's display name), ``schema`` (each field's schema), ``transitions`` (the
transitions possible from the issue's status) and ``editmeta`` (how each field can be edited) are served;
``changelog``, ``versionedRepresentations`` and ``operations`` are not (the emulator keeps no history and
no versioned values) and answer 501. ``properties``: the emulator stores no issue properties (their
endpoints answer 501), so the answer's ``properties`` is empty, as Jira's is for an issue without any.
``fieldsByKeys``: a field's key is its id here, so both readings select the same fields. ``failFast``
and ``updateHistory`` change what happens on a failed field and the user's "recently viewed" list, not the
answer.

The searches (``GET``/``POST /rest/api/3/search/jql``, Data Center's ``GET /rest/api/2/search``) take the
same ``expand`` values (``names`` and ``schema`` once for the page), ``properties`` and ``fieldsByKeys``
alike.

``GET …/issue/{issueIdOrKey}/transitions`` (getTransitions): ``transitionId`` (only that transition),
``includeUnavailableTransitions`` (the others too, ``isAvailable: false``) and ``skipRemoteOnlyCondition``
(the workflow has no remote-only conditions) are honoured; ``expand=transitions.fields`` and
``sortByOpsBarAndStatus=true`` answer 501. ``overrideScreenSecurity``/``overrideEditableFlag`` (editmeta,
edit) answer 501 when true: the emulated bot is not an administrator.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from html import escape
from typing import Any

from sandbox.framework import Request, unserved_value
from sandbox.jira.data import TRANSITIONS, Issue, status_json
from sandbox.jira.edits import EDIT_SCREEN
from sandbox.jira.render import Renderer

ISSUE_EXPANDS = ("renderedFields", "names", "schema", "transitions", "editmeta")
GET_ISSUE_PARAMS = ("fields", "expand", "properties", "fieldsByKeys", "failFast", "updateHistory")
EDIT_PARAMS = ("notifyUsers", "returnIssue", "expand", "overrideScreenSecurity", "overrideEditableFlag")
TRANSITION_PARAMS = (
    "expand",
    "transitionId",
    "includeUnavailableTransitions",
    "skipRemoteOnlyCondition",
    "sortByOpsBarAndStatus",
)
OVERRIDES = ("overrideScreenSecurity", "overrideEditableFlag")
TRUE = ("true", "1")


def issue_expands(request: Request) -> list[str]:
    """The ``expand`` values of an issue read, 501 for one the emulator does not produce."""
    wanted = request.args("expand")
    unserved = [name for name in wanted if name not in ISSUE_EXPANDS]
    if unserved:
        raise unserved_value(request, "expand", unserved)
    return wanted


def search_expands(request: Request, value: Any) -> list[str]:
    """A search's ``expand`` (a comma-separated string, in the query or the body), 501 for a value the
    emulator does not produce; ``names`` and ``schema`` go at the top of the answer, the rest on each
    issue, as in Jira's search results (``SearchAndReconcileResults``, ``SearchResults``)."""
    wanted = [v.strip() for v in str(value or "").split(",") if v.strip()]
    unserved = [name for name in wanted if name not in ISSUE_EXPANDS]
    if unserved:
        raise unserved_value(request, "expand", unserved)
    return wanted


def search_results(
    render: Renderer,
    issues: list[Issue],
    fields: list[str],
    version: str,
    expands: list[str],
    properties: bool,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """A search page's issues with their expansions, and the answer's top-level ``names``/``schema``."""
    per_issue = [name for name in expands if name not in ("names", "schema")]
    bodies = []
    for issue in issues:
        body = render.issue(issue, fields, version)
        if properties:
            body["properties"] = {}  # no issue properties are kept
        bodies.append(expanded(render, issue, body, fields, version, per_issue))
    top: dict[str, Any] = {}
    if {"names", "schema"} & set(expands):
        catalogue = {f["id"]: f for f in render.field_catalogue()}
        shown = [name for name in fields if name in catalogue]
        if "names" in expands:
            top["names"] = {name: catalogue[name]["name"] for name in shown}
        if "schema" in expands:
            top["schema"] = {name: catalogue[name]["schema"] for name in shown}
    return bodies, top


def refuse_true(request: Request, *names: str) -> None:
    """501 for a documented flag the emulator does not act on, when it is switched on."""
    for name in names:
        value = request.arg(name)
        if value is not None and value.lower() in TRUE:
            raise unserved_value(request, name, [value])


def expanded(
    render: Renderer, issue: Issue, body: dict[str, Any], fields: list[str], version: str, expands: list[str]
) -> dict[str, Any]:
    """``body`` (an issue as :meth:`Renderer.issue` made it) with the requested expansions."""
    catalogue = {f["id"]: f for f in render.field_catalogue()}
    shown = [name for name in fields if name in catalogue]
    if "names" in expands:
        body["names"] = {name: catalogue[name]["name"] for name in shown}
    if "schema" in expands:
        body["schema"] = {name: catalogue[name]["schema"] for name in shown}
    if "renderedFields" in expands:
        body["renderedFields"] = {name: rendered(issue, name, render.zone) for name in shown}
    if "transitions" in expands:
        body["transitions"] = transitions(issue, render.base)
    if "editmeta" in expands:
        body["editmeta"] = render.edit_meta(EDIT_SCREEN)
    body["expand"] = ",".join(["operations", "versionedRepresentations", "changelog", *ISSUE_EXPANDS])
    return body


def rendered(issue: Issue, name: str, zone: tzinfo) -> Any:
    """A field as Jira renders it for display: wiki text and comments as HTML, dates in the user's
    zone as ``dd/MMM/yy h:mm AM`` (dates alone ``dd/MMM/yy``); fields with no display form are null."""
    if name == "description":
        if not issue.description:
            return None
        paragraphs = ("".join(escape(value) for _, value in p) for p in issue.description)
        return "".join(f"<p>{text}</p>" for text in paragraphs)
    if name in ("created", "updated"):
        moment = datetime.fromtimestamp(getattr(issue, name), zone)
        return moment.strftime("%d/%b/%y %I:%M %p").replace(" 0", " ")
    if name == "duedate" and issue.duedate:
        return datetime.fromisoformat(issue.duedate).strftime("%d/%b/%y")
    if name == "comment":
        comments = [{**c, "body": f"<p>{escape(str(c.get('body')))}</p>"} for c in issue.comments]
        return {"comments": comments, "maxResults": len(comments), "total": len(comments), "startAt": 0}
    return None


def transitions(
    issue: Issue, base: str, transition_id: str | None = None, include_unavailable: bool = False
) -> list[dict[str, Any]]:
    """The workflow's transitions from the issue's status (all of them, the others unavailable, with
    ``include_unavailable``), or only ``transition_id``."""
    out = []
    for t in TRANSITIONS:
        available = issue.status in t.sources
        if (available or include_unavailable) and transition_id in (None, t.id):
            out.append(
                {
                    "id": t.id,
                    "name": t.name,
                    "to": status_json(t.target, base),
                    "hasScreen": False,
                    "isGlobal": False,
                    "isInitial": False,
                    "isAvailable": available,
                    "isConditional": False,
                    "isLooped": False,
                }
            )
    return out


def transition_options(request: Request) -> tuple[str | None, bool]:
    """``transitionId`` and ``includeUnavailableTransitions`` of ``GET …/transitions``, after refusing
    what is not produced (``expand=transitions.fields``, ``sortByOpsBarAndStatus=true``)."""
    if request.args("expand"):
        raise unserved_value(request, "expand", request.args("expand"))
    refuse_true(request, "sortByOpsBarAndStatus")
    include = (request.arg("includeUnavailableTransitions") or "").lower() in TRUE
    return request.arg("transitionId"), include

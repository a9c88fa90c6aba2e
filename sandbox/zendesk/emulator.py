"""Zendesk Support emulator: the endpoints rankbridge uses, as Zendesk documents them.

Basic auth as ``<email>/token:<api token>``; a ``.json`` suffix is accepted on every path. The incremental
exports have their own budget (10 requests per minute, as Zendesk's) on top of the account's, and can leave
out what changed in the last ``export_exclusion`` seconds (Zendesk: 60; here 0 by default, so that an edit
made in the sandbox shows in the next sync). All three are set through the constructor or
``POST /_sandbox/faults`` (``export_per_minute``, ``export_window``, ``export_exclusion``); ``job_polls``
says how many polls a bulk job stays ``queued``.
"""

from __future__ import annotations

import base64
import binascii
import time
from typing import Any, ClassVar

from sandbox.framework import (
    Budget,
    Emulator,
    HttpError,
    Request,
    Response,
    Route,
    conditional,
    route,
    unserved_value,
)
from sandbox.zendesk.data import Ticket, ZendeskData
from sandbox.zendesk.generate import ADMIN_EMAIL, FIELDS, HOW, field_id, populate
from sandbox.zendesk.writes import TicketWrites

SIDELOADS = ("users", "groups", "organizations")  # the ticket side-loads this emulator serves
EXPORT_PARAMS = ("start_time", "cursor", "per_page", "include", "exclude_deleted")
# Cursor pagination ("Paginating through lists using cursor pagination", Zendesk API introduction)
CURSOR_PAGING = ("page[size]", "page[after]")
ERROR_NAMES = {
    400: "InvalidValue",
    404: "RecordNotFound",
    409: "UpdateConflict",
    422: "RecordInvalid",
    429: "APIRateLimitExceeded",
}


def encode_cursor(position: tuple[float, int]) -> str:
    return base64.b64encode(f"{position[0]!r}||{position[1]}|".encode()).decode()


def decode_cursor(cursor: str) -> tuple[float, int]:
    try:
        ts, _, ident, _ = base64.b64decode(cursor.encode(), validate=True).decode().split("|")
        return float(ts), int(ident)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise HttpError(400, "cursor is invalid") from exc


class ZendeskEmulator(TicketWrites, Emulator):
    # Raw fields no real server sends (wrong types where the API documents others), for fault drills:
    # `edit` with `raw` merges them into one record, which the connector must quarantine.
    BROKEN_RAW: ClassVar[dict[str, Any]] = {"status": {"x": 1}, "created_at": 12}

    reads_references_of = tuple(HOW)  # tickets point at the trackers' issues
    name = "zendesk"
    api_prefixes = ("/api/", "/oauth/")  # Support API (/api/v2/), agent UI API (/api/lotus/), OAuth
    record_keys = ("tickets", "organizations", "links")  # record lists of its answers (a fault nulls them)

    def __init__(
        self,
        token: str,
        export_per_minute: int = 10,
        export_window: float = 60.0,
        export_exclusion: float = 0.0,
        email: str = ADMIN_EMAIL,
    ) -> None:
        super().__init__(token)
        self.email = email
        # The Enterprise plan's 700 requests a minute (developer.zendesk.com/api-reference/introduction/
        # rate-limits: Team 200, Growth and Professional 400, Enterprise 700), besides the exports' 10.
        self.budget = Budget(700, 60.0)
        self.data = ZendeskData()
        self.export_per_minute, self.export_window = export_per_minute, export_window
        self.export_exclusion = export_exclusion
        self.job_polls = 1
        self.export_budgets: dict[str, Budget] = {}
        self._job_seq = 0

    # --- framework hooks -----------------------------------------------------------------------------
    def _collect_routes(self) -> list[Route]:
        """Literal paths before templated ones, so ``/tickets/show_many`` is not read as a ticket id."""
        return sorted(super()._collect_routes(), key=lambda r: r.pattern.pattern.count("(?P<"))

    def handle(self, request: Request) -> Response | None:
        if request.path.endswith(".json"):
            request.path = request.path[: -len(".json")]
        return super().handle(request)

    def authenticate(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        if not header.lower().startswith("basic "):
            return False
        try:
            user, _, secret = base64.b64decode(header[6:].strip()).decode().partition(":")
        except (ValueError, binascii.Error, UnicodeDecodeError):
            return False
        return user == f"{self.email}/token" and secret == self.token

    def error_body(self, status: int, message: str) -> Any:
        if status == 401:
            return {"error": "Couldn't authenticate you"}
        if status == 403:
            return {"error": {"title": "Forbidden", "message": message}}
        if status == 422:
            return {
                "error": "RecordInvalid",
                "description": "Record validation errors",
                "details": {"base": [{"description": message}]},
            }
        return {
            "error": ERROR_NAMES.get(status, "InternalError" if status >= 500 else "Error"),
            "description": message,
        }

    def rate_limit_headers(self, limit: int, remaining: int, reset_at: float) -> dict[str, str]:
        """Both header families Zendesk sends (developer.zendesk.com/api-reference/introduction/rate-limits,
        "Monitoring your request activity"): ``X-Rate-Limit``/``X-Rate-Limit-Remaining`` and the newer
        ``ratelimit-limit``/``ratelimit-remaining``/``ratelimit-reset`` (seconds to the window's end)."""
        reset_in = str(max(0, int(reset_at - time.time() + 0.999)))
        return {
            "X-Rate-Limit": str(limit),
            "X-Rate-Limit-Remaining": str(remaining),
            "ratelimit-limit": str(limit),
            "ratelimit-remaining": str(remaining),
            "ratelimit-reset": reset_in,
        }

    def _dispatch(self, request: Request) -> Response:
        """Every successful GET carries an ``ETag``; ``If-None-Match`` with it answers 304."""
        response = super()._dispatch(request)
        if request.method == "GET" and response.status == 200:
            return conditional(request, response)
        return response

    def _set_faults(self, spec: dict[str, Any]) -> dict[str, Any]:
        for name in ("export_per_minute", "export_window", "export_exclusion", "job_polls"):
            if name in spec:
                setattr(self, name, type(getattr(self, name))(spec.pop(name)))
        self.export_budgets.clear()
        answer = super()._set_faults(spec)
        answer["export"] = {
            "per_window": self.export_per_minute,
            "window": self.export_window,
            "exclusion": self.export_exclusion,
            "job_polls": self.job_polls,
        }
        return answer

    def _export_turn(self, path: str) -> None:
        budget = self.export_budgets.setdefault(path, Budget(self.export_per_minute, self.export_window))
        ok, _, reset_at = budget.take()
        if not ok:
            wait = str(max(1, int(reset_at - time.time() + 0.999)))
            raise HttpError(
                429,
                "Number of allowed incremental export API requests per minute exceeded",
                {"Retry-After": wait},
            )

    # --- incremental exports -------------------------------------------------------------------------
    @route("GET", "/api/v2/incremental/tickets/cursor", params=EXPORT_PARAMS)
    def export_tickets(self, request: Request) -> Response:
        # Side-loads the Ticket sideloads reference documents beyond these (dates, metric_sets, slas, ...)
        # change the answer; they are answered 501, not silently left out (zendesk/rest-endpoints.json
        # documents ``include`` on GET /api/v2/incremental/tickets/cursor).
        include = self._included(request)
        self._export_turn(request.path)
        per_page = min(1000, int(request.arg("per_page") or 1000))
        cursor, start = request.arg("cursor"), request.arg("start_time")
        now = time.time()
        if cursor:
            position = decode_cursor(cursor)
        elif start is not None:
            if int(start) > now - self.export_exclusion:
                raise HttpError(400, "Too recent start_time. Use a start_time older than 1 minute")
            position = (float(start), -1)
        else:
            raise HttpError(400, "start_time or cursor is required")
        pending = self.data.ticket_index.after(position, now - self.export_exclusion)
        if request.arg("exclude_deleted") == "true":
            pending = [k for k in pending if self.data.tickets[k[1]].status != "deleted"]
        page = pending[:per_page]
        after = encode_cursor(page[-1] if page else position)
        tickets = [self.data.tickets[ident] for _, ident in page]
        body: dict[str, Any] = {
            "tickets": [t.json(self.base_url) for t in tickets],
            "after_cursor": after,
            "after_url": f"{self.base_url}/api/v2/incremental/tickets/cursor.json?cursor={after}",
            "before_cursor": None,
            "before_url": None,
            "end_of_stream": len(pending) <= per_page,
        }
        body.update(self._sideloads(tickets, include))
        return Response(200, body)

    def _included(self, request: Request, served: tuple[str, ...] = SIDELOADS) -> list[str]:
        """The side-loads ``include`` asks for; 501 for one this emulator does not produce (Zendesk's
        "Side-loading" documents many more, e.g. ``metric_sets``, ``dates``, ``slas``)."""
        wanted = request.args("include")
        unserved = [name for name in wanted if name not in served]
        if unserved:
            raise unserved_value(request, "include", unserved)
        return wanted

    def _sideloads(self, tickets: list[Ticket], include: list[str]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if "users" in include:
            ids = sorted({i for t in tickets for i in (t.requester_id, t.assignee_id) if i is not None})
            out["users"] = [self.data.users[i].json(self.base_url) for i in ids if i in self.data.users]
        if "groups" in include:
            ids = sorted({t.group_id for t in tickets if t.group_id is not None})
            out["groups"] = [self.data.groups[i].json(self.base_url) for i in ids if i in self.data.groups]
        if "organizations" in include:
            ids = sorted({t.organization_id for t in tickets if t.organization_id is not None})
            out["organizations"] = [
                self.data.organizations[i].json(self.base_url) for i in ids if i in self.data.organizations
            ]
        return out

    @route("GET", "/api/v2/incremental/organizations", params=("start_time", "per_page"))
    def export_organizations(self, request: Request) -> Response:
        self._export_turn(request.path)
        start = request.arg("start_time")
        if start is None:
            raise HttpError(400, "start_time is required")
        now = time.time()
        if int(start) > now - self.export_exclusion:
            raise HttpError(400, "Too recent start_time. Use a start_time older than 1 minute")
        per_page = min(1000, int(request.arg("per_page") or 1000))
        pending = self.data.org_index.after((float(start), -1), now - self.export_exclusion)
        page = pending[:per_page]
        if page:  # never split one second across pages: the next page starts at that second again
            last_second = int(page[-1][0])
            page += [k for k in pending[per_page:] if int(k[0]) == last_second]
        end_time = int(page[-1][0]) if page else int(start)
        return Response(
            200,
            {
                "organizations": [self.data.organizations[i].json(self.base_url) for _, i in page],
                "count": len(page),
                "end_time": end_time,
                "end_of_stream": len(page) >= len(pending),
                "next_page": f"{self.base_url}/api/v2/incremental/organizations.json?start_time={end_time}",
            },
        )

    # --- reads ---------------------------------------------------------------------------------------
    @route("GET", r"/api/v2/tickets/{ticket_id:\d+}", params=("include",))
    def show_ticket(self, request: Request) -> Response:
        """Show Ticket, with the ``users``, ``groups`` and ``organizations`` side-loads (Side-loading)."""
        include = self._included(request)
        ticket = self._ticket(request.params["ticket_id"])
        return Response(200, {"ticket": ticket.json(self.base_url), **self._sideloads([ticket], include)})

    @route("GET", "/api/v2/tickets/show_many", params=("ids", "include"))
    def show_many_tickets(self, request: Request) -> Response:
        include = self._included(request)
        ids = self._ids(request)
        tickets = [self.data.tickets[i] for i in ids if i in self.data.tickets]
        found = [t.json(self.base_url) for t in tickets]
        body = {"tickets": found, "count": len(found), "next_page": None, "previous_page": None}
        return Response(200, {**body, **self._sideloads(tickets, include)})

    @route("GET", r"/api/v2/tickets/{ticket_id:\d+}/comments", params=("include", "include_inline_images"))
    def list_comments(self, request: Request) -> Response:
        """List Comments: ``include=users`` side-loads the authors; ``include_inline_images`` lists inline
        images as attachments, and the emulator's comments have none, so the answer is the same."""
        include = self._included(request, ("users",))
        ticket = self._ticket(request.params["ticket_id"])
        comments = [c.json() for c in ticket.comments]
        body = {"comments": comments, "count": len(comments), "next_page": None, "previous_page": None}
        if include:
            authors = sorted({c.author_id for c in ticket.comments})
            body["users"] = [self.data.users[i].json(self.base_url) for i in authors if i in self.data.users]
        return Response(200, body)

    @route("GET", "/api/v2/ticket_fields")
    def list_ticket_fields(self, request: Request) -> Response:
        system = [
            {"id": 1000 + i, "type": name, "title": name.title(), "active": True, "removable": False}
            for i, name in enumerate(("subject", "description", "status", "priority", "group"))
        ]
        custom = [f.json(self.base_url) for f in sorted(self.data.fields.values(), key=lambda f: f.id)]
        return Response(
            200,
            {
                "ticket_fields": system + custom,
                "count": len(system) + len(custom),
                "next_page": None,
                "previous_page": None,
            },
        )

    @route("GET", "/api/v2/organizations", params=CURSOR_PAGING)
    def list_organizations(self, request: Request) -> Response:
        size = min(100, int(request.arg("page[size]") or 100))
        after = int(decode_cursor(request.arg("page[after]") or "")[1]) if request.arg("page[after]") else -1
        ids = sorted(i for i in self.data.organizations if i > after)
        page = ids[:size]
        more = len(ids) > size
        next_cursor = encode_cursor((0.0, page[-1])) if page else None
        return Response(
            200,
            {
                "organizations": [self.data.organizations[i].json(self.base_url) for i in page],
                "meta": {"has_more": more, "after_cursor": next_cursor, "before_cursor": None},
                "links": {
                    "next": f"{self.base_url}/api/v2/organizations.json?page[after]={next_cursor}"
                    if more
                    else None,
                    "prev": None,
                },
            },
        )

    @route("GET", r"/api/v2/organizations/{organization_id:\d+}")
    def show_organization(self, request: Request) -> Response:
        org = self.data.organizations.get(int(request.params["organization_id"]))
        if org is None:
            raise HttpError(404, "Not found")
        return Response(200, {"organization": org.json(self.base_url)})

    @route("GET", "/api/v2/users/me")
    def show_me(self, request: Request) -> Response:
        me = next(u for u in self.data.users.values() if u.email == self.email) if self.data.users else None
        return Response(
            200,
            {
                "user": me.json(self.base_url)
                if me
                else {"id": 1, "email": self.email, "name": "Sandbox Admin", "role": "admin"}
            },
        )

    @route("GET", r"/api/v2/users/{user_id:\d+}")
    def show_user(self, request: Request) -> Response:
        user = self.data.users.get(int(request.params["user_id"]))
        if user is None:
            raise HttpError(404, "Not found")
        return Response(200, {"user": user.json(self.base_url)})

    @route("GET", "/api/v2/users/show_many", params=("ids",))
    def show_many_users(self, request: Request) -> Response:
        ids = self._ids(request)
        return Response(
            200, {"users": [self.data.users[i].json(self.base_url) for i in ids if i in self.data.users]}
        )

    @route("GET", "/api/v2/jira/links", params=("filter[ticket_id]", "filter[issue_id]", *CURSOR_PAGING))
    def list_jira_links(self, request: Request) -> Response:
        size = min(1000, int(request.arg("page[size]") or 1000))
        after = int(request.arg("page[after]") or 0)
        ticket = request.arg("filter[ticket_id]")
        issue = request.arg("filter[issue_id]")
        links = [
            link
            for i, link in sorted(self.data.links.items())
            if i > after and ticket in (None, str(link.ticket_id)) and issue in (None, link.issue_id)
        ]
        page = links[:size]
        return Response(
            200,
            {
                "links": [link.json(self.base_url) for link in page],
                "meta": {
                    "has_more": len(links) > size,
                    "after_cursor": str(page[-1].id) if page else None,
                    "before_cursor": str(page[0].id) if page else None,
                },
            },
        )

    @route("PUT", r"/api/v2/tickets/{ticket_id:\d+}")
    def put_ticket(self, request: Request) -> Response:
        return self.update_ticket(request)

    @route("PUT", "/api/v2/tickets/update_many", params=("ids",))
    def put_many_tickets(self, request: Request) -> Response:
        return self.update_many(request)

    @route("GET", "/api/v2/job_statuses/{job_id:[0-9a-f]+}")
    def show_job_status(self, request: Request) -> Response:
        job = self.data.jobs.get(request.params["job_id"])
        if job is None:
            raise HttpError(404, "Not found")
        job.polls_before_done -= 1
        return Response(200, {"job_status": self._job_json(job)})

    # --- helpers -------------------------------------------------------------------------------------
    def _ticket(self, ticket_id: str) -> Ticket:
        ticket = self.data.tickets.get(int(ticket_id)) if ticket_id.isdigit() else None
        if ticket is None or ticket.status == "deleted":
            raise HttpError(404, "Not found")
        return ticket

    @staticmethod
    def _ids(request: Request) -> list[int]:
        ids = [int(i) for i in request.args("ids")]
        if not ids or len(ids) > 100:
            raise HttpError(400, "ids must list between 1 and 100 ids")
        return ids

    # --- sandbox contract ------------------------------------------------------------------------------
    def generate(self, items: int, seed: int, references: list[dict[str, str]]) -> None:
        with self.lock:
            populate(self.data, items, seed, references)

    def connection_config(self) -> dict[str, Any]:
        return {
            "type": "zendesk",
            "url": self.base_url,
            "email": self.email,
            "token": "${RANKBRIDGE_SANDBOX_TOKEN}",
            "fields": {name: str(field_id(name)) for name in FIELDS},
            "link_field": "linked_issue",
            "score_field": "score",
            "organization_fields": {"tier": "tier", "arr": "arr", "size": "size"},
            "export_per_minute": self.export_per_minute,
            "export_window": self.export_window,
            "policy": {"base_wait": 0.01, "max_wait": 5.0, "timeout": 10.0},
        }

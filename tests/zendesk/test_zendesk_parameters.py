"""Zendesk's side-loads on the ticket reads ("Side-loading related records": ``include`` on Show Ticket,
Show Many Tickets and List Comments) and the documented parameters the emulator does not produce (501)."""

from __future__ import annotations

from sandbox.serving import Served
from sandbox.zendesk import ZendeskEmulator
from tests.zendesk.test_zendesk_emulator import client


def test_ticket_reads_side_load_what_include_names(served: Served, emulator: ZendeskEmulator) -> None:
    ticket = next(
        t for t in emulator.data.tickets.values() if t.organization_id is not None and t.status != "deleted"
    )
    http = client(served)
    plain = http.get(f"/api/v2/tickets/{ticket.id}.json").json()
    assert set(plain) == {"ticket"}
    loaded = http.get(f"/api/v2/tickets/{ticket.id}.json", params={"include": "users,organizations"}).json()
    assert ticket.requester_id in {u["id"] for u in loaded["users"]}
    assert [o["id"] for o in loaded["organizations"]] == [ticket.organization_id]
    many = http.get("/api/v2/tickets/show_many.json", params={"ids": str(ticket.id), "include": "groups"})
    assert many.status_code == 200 and "groups" in many.json()
    comments = http.get(f"/api/v2/tickets/{ticket.id}/comments.json", params={"include": "users"}).json()
    authors = {c["author_id"] for c in comments["comments"]}
    assert authors and authors <= {u["id"] for u in comments["users"]}


def test_what_it_does_not_produce_answers_501_naming_it(served: Served, emulator: ZendeskEmulator) -> None:
    ticket = next(t for t in emulator.data.tickets.values() if t.status != "deleted")
    http = client(served)
    for path, params in (
        (f"/api/v2/tickets/{ticket.id}.json", {"include": "metric_sets"}),
        (f"/api/v2/tickets/{ticket.id}/comments.json", {"include": "groups"}),
        ("/api/v2/ticket_fields.json", {"locale": "fr"}),
        ("/api/v2/users/show_many.json", {"external_ids": "abc"}),
    ):
        answer = http.get(path, params=params)
        name, value = next(iter(params.items()))
        assert answer.status_code == 501, path
        assert f"{name}={value}" in answer.json()["description"]

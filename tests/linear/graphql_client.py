"""One GraphQL request to a served Linear emulator, as any client sends it: the data, or a failed test
showing the errors."""

from __future__ import annotations

from typing import Any

import httpx

from sandbox.linear import LinearEmulator


def post(emulator: LinearEmulator, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    response = httpx.post(
        f"{emulator.base_url}/graphql",
        headers={"Authorization": emulator.token},
        json={"query": query, "variables": variables or {}},
        timeout=30,
    )
    body: dict[str, Any] = response.json()
    assert response.status_code == 200 and "errors" not in body, body.get("errors", body)
    data: dict[str, Any] = body["data"]
    return data

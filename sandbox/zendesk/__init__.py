"""Zendesk Support emulator (tickets, exports, organisations, users, Jira links, bulk jobs)."""

from sandbox.zendesk.emulator import ZendeskEmulator

EMULATOR = ZendeskEmulator

__all__ = ["EMULATOR", "ZendeskEmulator"]

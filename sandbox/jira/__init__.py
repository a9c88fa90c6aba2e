"""Jira emulator (Cloud or Data Center mode) for the sandbox."""

from sandbox.jira.emulator import JiraEmulator

EMULATOR = JiraEmulator

__all__ = ["EMULATOR", "JiraEmulator"]

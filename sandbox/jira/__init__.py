"""Jira emulator (Cloud or Data Center mode) for the sandbox."""

from sandbox.jira.emulator import JiraEmulator

__all__ = ["JiraEmulator"]

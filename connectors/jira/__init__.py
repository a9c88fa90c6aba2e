"""Jira Cloud and Data Center connector (the ``jira`` client library, REST v3/v2 and the agile API)."""

from connectors.jira.config import JiraConfig
from connectors.jira.connector import JiraConnector

__all__ = ["JiraConfig", "JiraConnector"]

"""Zendesk Support: tickets as feedback, organisations as customers, Jira links and text mentions as
``requests`` links; engineering status, rank and score written back to ticket fields, tags and status."""

from connectors.zendesk.config import ZendeskConfig
from connectors.zendesk.connector import ZendeskConnector

__all__ = ["ZendeskConfig", "ZendeskConnector"]

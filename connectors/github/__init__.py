"""GitHub: issues over REST with PyGithub, unified rank and score into Projects v2 over GraphQL."""

from connectors.github.config import GithubConfig
from connectors.github.connector import GithubConnector

__all__ = ["GithubConfig", "GithubConnector"]

"""Linear connector: an own httpx GraphQL client, documents in ``.graphql`` files, rank via sortOrder."""

from connectors.linear.config import LinearConfig
from connectors.linear.connector import LinearConnector

__all__ = ["LinearConfig", "LinearConnector"]

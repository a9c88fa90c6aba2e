"""The GitHub emulator (REST issues and GraphQL Projects v2)."""

from sandbox.github.emulator import GithubEmulator

__all__ = ["GithubEmulator"]

"""The GitHub emulator (REST issues and GraphQL Projects v2)."""

from sandbox.github.emulator import GithubEmulator

EMULATOR = GithubEmulator

__all__ = ["EMULATOR", "GithubEmulator"]

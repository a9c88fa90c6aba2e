"""The Linear emulator: GraphQL issues, projects, cycles, customers and needs; rank through sortOrder."""

from sandbox.linear.emulator import LinearEmulator

__all__ = ["LinearEmulator"]

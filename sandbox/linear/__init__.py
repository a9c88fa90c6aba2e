"""The Linear emulator: GraphQL issues, projects, cycles, customers and needs; rank through sortOrder."""

from sandbox.linear.emulator import LinearEmulator

EMULATOR = LinearEmulator

__all__ = ["EMULATOR", "LinearEmulator"]

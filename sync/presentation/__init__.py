"""What people and scripts see: renderings, messages and the command-line context (used by cli.py only)."""

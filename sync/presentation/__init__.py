"""What people see: tables and ``--json`` shapes (``views``), the status report (``status_report``), the
starter config (``starter``), the demo (``demo``) and log formatting (``logs``).

Only ``cli.py`` imports it."""

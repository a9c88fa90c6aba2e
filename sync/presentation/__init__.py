"""What people see: tables and ``--json`` shapes (``views``), the status report (``status_report``), the
starter config (``starter``), the demo (``demo``), log formatting (``logs``) and the HTML report (``report``).

Only ``cli.py`` imports it."""

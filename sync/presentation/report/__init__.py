"""The HTML report: a static, self-contained site written from the store (``rankbridge report --out DIR``,
and by the daemon after each sync when ``[report] dir`` is set), served read-only by the daemon.

``site`` writes it; ``data`` reads the store; ``ranking``, ``itempage``, ``changes`` and ``roadmap`` make
the pages; ``html`` is the frame every page shares (escaping, Content-Security-Policy, assets); ``svg``
draws the charts."""

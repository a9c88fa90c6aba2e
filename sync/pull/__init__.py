"""Pull: every stream of a connection page by page into the store (``streams``), the next page fetched while
the current one is stored (``readahead``), and saved payloads replayed from a file (``replay``)."""

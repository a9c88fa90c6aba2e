"""The daemon: the schedule and its HTTP endpoints (``scheduler``), what it knows about itself
(``metrics``), and the one-writer lock every writing command takes (``lock``)."""

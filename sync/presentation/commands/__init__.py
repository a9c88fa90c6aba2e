"""The commands of ``rankbridge``, grouped by what they do; ``cli.py`` registers them."""

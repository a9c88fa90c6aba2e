"""Plan: desired state minus observed state minus what we last pushed (``planner``), the minimal reordering
(``moves``) and the places a person chose by hand (``positions``)."""

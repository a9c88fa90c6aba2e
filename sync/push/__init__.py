"""Push: the staged ops of the outbox applied, journalled and confirmed (``pusher``); what a push wrote and
its inverse as a new plan (``undo``)."""

"""After a report is received: amendment tasks for ONE, and "SIMS to amend" items for the school."""

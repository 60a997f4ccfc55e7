"""The upload API for machine senders (a school MIS export job, the LA extract job)."""

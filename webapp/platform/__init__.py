"""Infrastructure beside the domain: database set-up, audit log, job queue, mail transport,
garbage-collector pauses, retention."""

"""The la blueprint."""

"""The school blueprint."""

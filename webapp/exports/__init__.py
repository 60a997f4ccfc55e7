"""The exports blueprint."""

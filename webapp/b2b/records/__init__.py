"""What a pupil record holds: its items, the field catalogue, code sets, normalising, checks."""

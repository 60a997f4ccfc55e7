"""Both sides compared: pupils paired, items compared by the catalogue, reports refreshed."""

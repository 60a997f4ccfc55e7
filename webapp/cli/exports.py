"""``flask b2b export`` and ``flask b2b pack``."""

commands: list = []

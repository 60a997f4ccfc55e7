"""``flask b2b publish``, ``remind`` and ``tasks``."""

commands: list = []

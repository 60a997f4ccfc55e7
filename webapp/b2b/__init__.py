"""The B2B domain: file formats, the field catalogue, checks, comparison, decisions.

Nothing in this package reads a Flask request: the CLI, the views, the exports and the
tests all call these functions.
"""

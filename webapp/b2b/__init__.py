"""The B2B domain, in the order the data travels: records, formats, intake, comparison,
review, amendments, and the LA's desk.

Nothing in this package reads a Flask request: the CLI, the views, the exports and the
tests all call these functions.
"""

"""The weekly cycle page for LA officers."""

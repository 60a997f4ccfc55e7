"""A report in the school's hands: decisions, the report view, its life from draft to closed."""

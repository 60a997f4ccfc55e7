"""Form validators shared by the blueprints' forms."""

from __future__ import annotations

from typing import Any

from wtforms.validators import ValidationError

from webapp.b2b.records.normalise import unsafe_character


class SafeText:
    """Refuse control characters, bidirectional overrides and zero-width characters
    (which spoof names in the amendment queue and in ONE). ``multiline``: a comment or a
    reason, which may keep its line breaks and tabs; otherwise those are refused too."""

    def __init__(self, multiline: bool = False, name: str | None = None) -> None:
        self.multiline = multiline
        self.name = name  # how the message names the field ("The comment"); else its label

    def __call__(self, form: Any, field: Any) -> None:
        value = field.data or ""
        problem = unsafe_character(value.replace("\r\n", "\n") if self.multiline else value)
        if problem is None and not self.multiline and any(c in value for c in "\t\r\n"):
            problem = "holds a line break or tab"
        if problem:
            raise ValidationError(f"{self.name or field.label.text} {problem}")

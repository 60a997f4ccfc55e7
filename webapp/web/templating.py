"""Jinja set-up: StrictUndefined for our own templates, without breaking GOV.UK's.

The tests render with ``StrictUndefined`` so that a misspelt variable in our templates
fails loudly. The GOV.UK Frontend macros, ported from Nunjucks, rely on lenient undefined
values by design (``params.classes`` and so on are optional). An undefined value created
while a ``govuk_frontend_jinja/`` or ``govuk_frontend_wtf/`` template runs is therefore the
ordinary lenient kind; everywhere else it stays as strict as configured.
"""

from __future__ import annotations

import sys

from flask.templating import Environment
from jinja2 import StrictUndefined, Undefined
from jinja2.utils import missing

_LENIENT_PREFIXES = ("govuk_frontend_jinja/", "govuk_frontend_wtf/")


def _created_in_govuk_template() -> bool:
    frame = sys._getframe(2)
    for _ in range(12):  # the template frame is a few calls up (getattr, resolve)
        if frame is None:
            return False
        template = frame.f_globals.get("__jinja_template__")
        if template is not None:
            return (template.name or "").startswith(_LENIENT_PREFIXES)
        frame = frame.f_back
    return False


def _tolerant(cls: type[Undefined]) -> type[Undefined]:
    if not issubclass(cls, StrictUndefined) or getattr(cls, "_govuk_tolerant", False):
        return cls

    class GovukTolerantUndefined(cls):  # type: ignore[misc, valid-type]
        _govuk_tolerant = True
        __slots__ = ()

        def __new__(klass, hint=None, obj=missing, name=None, *args, **kwargs):
            # ``caller`` of a macro used without {% call %} is made by Jinja's runtime
            # on behalf of the calling template: it is never a mistake.
            if name == "caller" or _created_in_govuk_template():
                return Undefined(hint, obj, name, *args, **kwargs)
            return super().__new__(klass)

    return GovukTolerantUndefined


class AppEnvironment(Environment):
    """Flask's environment, with ``undefined`` made tolerant inside GOV.UK templates
    whenever a strict kind is set (as the test fixtures do)."""

    @property
    def undefined(self) -> type[Undefined]:
        return self._undefined_cls

    @undefined.setter
    def undefined(self, cls: type[Undefined]) -> None:
        self._undefined_cls = _tolerant(cls)

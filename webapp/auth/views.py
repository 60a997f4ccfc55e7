"""Sign in and out, forgotten passwords. (Filled in by the school-side work.)"""

from flask import Blueprint

bp = Blueprint("auth", __name__)

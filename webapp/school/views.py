"""School staff: their documents, the report form, sending and recalling."""

from flask import Blueprint

bp = Blueprint("school", __name__, url_prefix="/school")

"""LA officers: publishing, progress, receiving, the amendment queue."""

from flask import Blueprint

bp = Blueprint("la", __name__, url_prefix="/la")

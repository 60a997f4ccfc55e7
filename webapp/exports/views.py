"""Downloads of the printable audit packs (PDF, .docx) and return files."""

from flask import Blueprint

bp = Blueprint("exports", __name__)

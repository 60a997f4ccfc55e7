"""``flask b2b ...``: the commands the LA team scripts against. Keep them stable."""

from __future__ import annotations

from flask.cli import AppGroup

from webapp.cli import exports, intake, la, returns
from webapp.cli.data import compare_command, import_command, report_command, reports_command
from webapp.cli.demo import demo_command

b2b_cli = AppGroup("b2b", help="Import, compare and report B2B pupil data.")
for command in (import_command, compare_command, reports_command, report_command,
                demo_command, *exports.commands, *la.commands, *intake.commands,
                *returns.commands):
    b2b_cli.add_command(command)

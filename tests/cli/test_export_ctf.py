"""``b2b export LAESTAB --week N --ctf FILE``: the return file for SIMS from the shell, the
same file the school's page offers."""

from __future__ import annotations

import io

from tests.factories import decided_seed_report
from webapp.b2b.formats.ctf import read_ctf
from webapp.exports.returns import sims_return, sims_return_ctf


def test_export_writes_the_return_file_for_sims(session, runner, tmp_path):
    report = decided_seed_report(session, hard=False)
    out = tmp_path / "return.xml"
    r = runner.invoke(args=["b2b", "export", "8861111", "--week", "17", "--year", "2025",
                            "--ctf", str(out)])
    assert r.exit_code == 0, r.output
    assert "return file for SIMS" in r.output
    data = out.read_bytes()
    # Byte for byte what the page serves (but for the time it was made).
    page = sims_return_ctf(sims_return(session, report))
    assert data.split(b"<DateTime>")[0] == page.split(b"<DateTime>")[0]
    pupils = list(read_ctf(io.BytesIO(data)))
    assert {p.items.get("forename") for p in pupils} >= {"Joseph"}  # "LA Data" answers


def test_export_needs_something_to_write(runner):
    r = runner.invoke(args=["b2b", "export", "8861111", "--week", "17"])
    assert r.exit_code != 0 and "--ctf FILE" in r.output

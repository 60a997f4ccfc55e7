"""The LA's own extract as the LA has it: common headings recognised without a mapping,
other columns and date formats said by one (a TOML file, or the one the LA saved), and an
unknown column refused with its name and the item it looks like."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from tests.factories import form_csrf, make_school, make_user
from webapp.b2b.formats import ImportRefused, sniff
from webapp.b2b.formats.csvfile import read_pupils_csv
from webapp.b2b.formats.headings import load_mapping
from webapp.b2b.intake.importing import import_file
from webapp.models import LocalAuthority, PupilRecord

ONE = (b"DfE Number,Unique Pupil Number,Legal Surname,Legal Forename,Date of Birth,Gender,"
       b"Post Code\r\n8861111,A886111110001,Smith,Amy,02/01/2015,F,ME14 1XX\r\n")


def test_common_headings_need_no_mapping():
    assert sniff(ONE[:4096]) == "csv-pupils"
    (p,) = read_pupils_csv(io.BytesIO(ONE))
    assert p.school.laestab == "8861111"
    assert p.items == {"upn": "A886111110001", "surname": "Smith", "forename": "Amy",
                       "dob": "2015-01-02", "sex": "F", "postcode": "ME14 1XX"}


def test_an_unknown_column_is_refused_with_the_item_it_looks_like():
    with pytest.raises(ImportRefused) as e:
        list(read_pupils_csv(io.BytesIO(ONE.replace(b"Date of Birth", b"Birth Dt"))))
    assert "'Birth Dt'" in str(e.value) and "looks like dob" in str(e.value)
    with pytest.raises(ImportRefused, match="not one the importer knows"):
        list(read_pupils_csv(io.BytesIO(ONE.replace(b"Gender", b"Zzqx"))))


def test_a_mapping_names_columns_and_date_formats():
    mapping = load_mapping('[columns]\n"Birth Dt" = "dob"\n"Tutor" = "reg_group"\n'
                           '[dates]\ndob = "%Y%m%d"\n')
    data = (ONE.replace(b"Date of Birth", b"Birth Dt").replace(b"Post Code", b"Tutor")
            .replace(b"02/01/2015", b"20150102").replace(b"ME14 1XX", b"7B"))
    (p,) = read_pupils_csv(io.BytesIO(data), mapping)
    assert p.items["dob"] == "2015-01-02" and p.items["reg_group"] == "7B"


@pytest.mark.parametrize("text, says", [
    ('[columns]\n"X" = "shoe_size"\n', "not an item"),
    ('[dates]\nsurname = "%d"\n', "only dob"),
    ('[columns\n', "not valid TOML"),
    ('[other]\n', "does not use: other"),
])
def test_a_bad_mapping_says_what_is_wrong(text, says):
    with pytest.raises(ValueError, match=says):
        load_mapping(text)


def test_the_cli_takes_a_mapping_file(session, runner, tmp_path):
    make_school(session)
    (tmp_path / "one.csv").write_bytes(ONE.replace(b"Gender", b"Pupil Sex Code"))
    (tmp_path / "map.toml").write_text('[columns]\n"Pupil Sex Code" = "sex"\n')
    refused = runner.invoke(args=["b2b", "import", str(tmp_path / "one.csv"), "--source",
                                  "la"])
    assert refused.exit_code == 1 and "Pupil Sex Code" in refused.output
    ok = runner.invoke(args=["b2b", "import", str(tmp_path / "one.csv"), "--source", "la",
                             "--mapping", str(tmp_path / "map.toml")])
    assert ok.exit_code == 0, ok.output
    assert session.scalar(select(PupilRecord.sex).where(PupilRecord.side == "la")) == "F"


def test_the_la_saves_its_mapping_on_a_page_and_imports_use_it(client, session, login_as):
    make_school(session)
    login_as(make_user(session, role="la_admin"))
    token = form_csrf(client, "/la/uploads/mapping")
    bad = client.post("/la/uploads/mapping", data={"csrf_token": token,
                                                   "mapping": '[columns]\n"A" = "nope"\n'})
    assert bad.status_code == 422 and "not an item" in bad.get_data(as_text=True)
    good = client.post("/la/uploads/mapping", data={
        "csrf_token": token, "mapping": '[columns]\n"Pupil Sex Code" = "sex"\n'})
    assert good.status_code == 302
    assert session.scalar(select(LocalAuthority.extract_mapping)).startswith("[columns]")
    from webapp.b2b.intake.uploads import saved_mapping

    summary = import_file(session, ONE.replace(b"Gender", b"Pupil Sex Code"), side="la",
                          file_name="one.csv", mapping=saved_mapping(session))
    assert summary.ok, summary.error

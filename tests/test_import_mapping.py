"""Mapping files: another system's export -> the CSV contract without code. The shipped
examples (SEIS roster, a generic one-row-per-service sheet), a district's own mapping, broken
mappings named by key, and the messy-CSV reader underneath."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pushin_rules.cli import main
from pushin_rules.data.importers import mapping as mp
from pushin_rules.data.importers.text import decode, parse_line, read_table
from pushin_rules.errors import InputError

TODAY = dt.date(2026, 12, 1)

SERVICE_LIST = [
    "Service list export,,,,,,,,,,,",  # a title row above the header
    "Student ID,Student Name,Grade,School,Case Manager,Service,Minutes,Session Length,"
    "Setting,Start Date,End Date,Group Size",
    # 3: Ana, two services
    'A1,"Alvarez, Ana",3,Oak Point Elementary,"Nguyen, Lan",Speech,60,30,Therapy Room,'
    "09/01/2026,06/18/2027,1",
    'A1,"Alvarez, Ana",3,Oak Point Elementary,"Nguyen, Lan",Resource Room,135,45,In Class,'
    "09/01/2026,06/18/2027,4",
    # 5: José (Windows-1252 accent), OT with a setting nobody mapped
    'B2,"Báez, José",K,Oak Point Elementary,"Nguyen, Lan",OT,30,30,Hallway,09/01/2026,06/18/2027,',
    # 6: a service the mapping does not know
    'B2,"Báez, José",K,Oak Point Elementary,"Nguyen, Lan",Vision,30,30,,09/01/2026,06/18/2027,',
    # 7: minutes that are not a number
    'C3,"Kim, Jae",7,Quarry Park Middle,"Lee, Kim",PT,about 30,30,,09/01/2026,06/18/2027,',
    # 8: a stray quote inside a name; counseling that ended in June
    'D4,Sam O"Neil,10,Quarry Park Middle,"Lee, Kim",Counseling,30,30,Pull-out,'
    "09/01/2025,06/10/2026,1",
    # 9: a grade outside K-12
    'E5,"Tot, Tiny",PS,Quarry Park Middle,"Lee, Kim",Speech,30,30,,09/01/2026,06/18/2027,',
    # 10: a date in the wrong format
    'C3,"Kim, Jae",7,Quarry Park Middle,"Lee, Kim",Counseling,30,30,,2026-09-01,06/18/2027,',
]


def service_list_bytes() -> bytes:
    return "\r\n".join(SERVICE_LIST).encode("cp1252") + b"\r\n"


def generic() -> mp.MappingFile:
    return mp.shipped_mapping("generic_services")


def test_shipped_mappings_load() -> None:
    for path in sorted(mp.MAPPINGS_DIR.glob("*.toml")):
        loaded = mp.load_mapping(path)
        assert loaded.students, path.name
    assert {p.stem for p in mp.MAPPINGS_DIR.glob("*.toml")} >= {"seis_roster", "generic_services"}


def test_generic_service_list_gives_students_and_services() -> None:
    result = mp.import_mapped(generic(), {"services.csv": service_list_bytes()}, TODAY)
    students = result.students.set_index("student_id")
    assert list(students.index) == ["A1", "B2", "C3", "D4"]
    assert list(students["name"]) == ["Ana Alvarez", "José Báez", "Jae Kim", 'Sam O"Neil']
    assert list(students["grade"]) == ["3", "K", "7", "10"]
    assert students.loc["A1", "case_manager"] == "Lan Nguyen"
    got = [
        (r.student_id, r.service, r.minutes_per_week, r.session_minutes, r.current_model,
         r.group_size)
        for r in result.services.itertuples(index=False)
    ]  # fmt: skip
    assert got == [
        ("A1", "speech_language", "60", "30", "pull_out", "1"),
        ("A1", "setss", "135", "45", "push_in", "4"),
        ("B2", "occupational_therapy", "30", "30", "", ""),
    ]
    report = [(r.row, r.what) for r in result.report.itertuples(index=False)]
    assert report == [
        (6, "unknown service code"),
        (7, "unreadable frequency"),
        (8, "ended service"),
        (9, "unreadable value"),
        (10, "unreadable value"),
    ]
    why = dict(zip(result.report["row"], result.report["why"], strict=True))
    assert "'Vision'" in why[6] and "[values.service]" in why[6]
    assert "about 30" in why[7]
    assert "MM/DD/YYYY" in why[10]


def test_a_districts_own_mapping_with_daily_minutes_and_iso_dates(tmp_path: Path) -> None:
    own = tmp_path / "frontline.toml"
    own.write_text(
        """
[mapping]
name = "Our Frontline export"
date_format = "%Y-%m-%d"

[files.kids]
header = ["StuNum", "Pupil"]

[files.plan]
header = ["StuNum", "Svc", "Min/Day"]
one_row_per = "service"

[students]
file = "kids"
student_id = "StuNum"
name = "Pupil"
grade = "Gr"
school = "Bldg"

[services]
file = "plan"
student_id = "StuNum"
service = { column = "Svc", values = "svc" }
minutes = { column = "Min/Day", per = "day" }
start_date = "From"
end_date = "To"

[values.svc]
SL = "speech_language"
""",
        encoding="utf-8",
    )
    files = {
        "a.csv": b"StuNum,Pupil,Gr,Bldg\n7,Ana Alvarez,2,Elm\n",
        "b.csv": b"StuNum,Svc,Min/Day,From,To\n7,SL,12,2026-09-01,2027-06-18\n",
    }
    result = mp.import_mapped(mp.load_mapping(own), files, TODAY)
    service = result.services.iloc[0]
    assert (service["service"], service["minutes_per_week"]) == ("speech_language", "60")
    assert service["session_minutes"] == "60"  # no session column: one session a week
    assert result.schools["name"].tolist() == ["Elm"]


@pytest.mark.parametrize(
    ("toml", "says"),
    [
        ("", "[mapping] is missing"),
        ("[mapping]\n", "[files] is missing"),
        ('[mapping]\n[files.a]\nheader = "x"\n', "files.a.header: must be a list"),
        (
            '[mapping]\n[files.a]\nheader = ["x"]\n[students]\nfile = "b"\n',
            "students.file: must name one of the [files] (a)",
        ),
        (
            '[mapping]\n[files.a]\nheader = ["x"]\n[students]\nfile = "a"\nstudent_id = "x"\n',
            "students: lacks grade",
        ),
        (
            '[mapping]\n[files.a]\nheader = ["x"]\n[students]\nfile = "a"\nstudent_id = "x"\n'
            'grade = "g"\nname = "n"\nshoe_size = "s"\n',
            "students.shoe_size: unknown key",
        ),
        (
            '[mapping]\n[files.a]\nheader = ["x"]\n[students]\nfile = "a"\nstudent_id = "x"\n'
            'name = "n"\ngrade = { column = "g", values = "grades" }\n',
            "students.grade.values: no [values.grades] table",
        ),
        (
            '[mapping]\n[files.a]\nheader = ["x"]\n[students]\nfile = "a"\nstudent_id = "x"\n'
            'name = "n"\ngrade = { column = "g", values = "g" }\n[values.g]\nKN = "kinder"\n',
            "values.g: ['kinder'] not one of K, 1",
        ),
        (
            '[mapping]\n[files.a]\nheader = ["x"]\n[students]\nfile = "a"\nstudent_id = "x"\n'
            'name = "n"\ngrade = "g"\n[services]\nfile = "a"\nstudent_id = "x"\n'
            'service = "s"\nminutes = { column = "m", per = "fortnight" }\n',
            "services.minutes.per: must be one of week, day, month, year",
        ),
        ("[mapping\n", "not a valid TOML file"),
        ('values = 3\n[mapping]\n[files.a]\nheader = ["x"]\n', "values: must be tables"),
        ('[mapping]\ndate_format = 1\n[files.a]\nheader = ["x"]\n', "date_format must be text"),
        (
            '[mapping]\n[files.a]\nheader = ["x"]\n[students]\nfile = "a"\n'
            'student_id = "x"\nname = "n"\ngrade = 3\n',
            "students.grade: must be a column name",
        ),
    ],
)
def test_a_broken_mapping_names_the_key(tmp_path: Path, toml: str, says: str) -> None:
    path = tmp_path / "m.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(mp.MappingError) as error:
        mp.load_mapping(path)
    assert says in str(error.value)
    assert str(path) in str(error.value)


def test_files_that_match_no_source_are_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"none of the files \(x.csv\) has the header"):
        mp.import_mapped(generic(), {"x.csv": b"a,b\n1,2\n"}, TODAY)


def test_cli_import_mapped(tmp_path: Path, capsys) -> None:
    sheet = tmp_path / "export.csv"
    sheet.write_bytes(service_list_bytes())
    out = tmp_path / "district"
    mapping_file = mp.MAPPINGS_DIR / "generic_services.toml"
    argv = ["import", "mapped", "--mapping", str(mapping_file), "--files", str(sheet)]
    assert main([*argv, "--out", str(out), "--today", TODAY.isoformat()]) == 0
    assert (out / "services.csv").read_text().count("\n") == 4
    assert "4 students at 2 schools, 3 services" in capsys.readouterr().out
    bad = tmp_path / "bad.toml"
    bad.write_text("[mapping]\n")
    assert main(["import", "mapped", "--mapping", str(bad), "--files", str(sheet), "--out",
                 str(tmp_path / "o2")]) == 2  # fmt: skip
    assert "[files] is missing" in capsys.readouterr().err


def test_seis_roster_mapping_reads_iep_dates() -> None:
    roster = (
        "SEIS ID,Last Name,First Name,Preferred Name,School of Attendance,Grade Level,"
        'Case Manager\r\n1,Alvarez,Ana,Annie,Elm,TK,"Suárez, Joanne"\r\n2,Bo,Li,,Elm,11,\r\n'
    ).encode("cp1252")
    m = mp.shipped_mapping("seis_roster")
    table = read_table(roster, "r.csv", m.files["iep_dates"].header)
    report = mp.Report()
    students = mp.read_students(m, table, report, "student")
    assert [(s.name, s.grade, s.case_manager) for s in students] == [
        ("Annie Alvarez", "K", "Joanne Suárez"),
        ("Li Bo", "11", ""),
    ]


# ------------------------------------------------------------------ messy CSV text


@pytest.mark.parametrize(
    ("line", "cells"),
    [
        ('"Alvarez, Ana",1,x', ["Alvarez, Ana", "1", "x"]),
        ('Ana "AJ" Alvarez,1', ['Ana "AJ" Alvarez', "1"]),
        ('"O"Neil, Sam",1', ['O"Neil, Sam', "1"]),
        ('"say ""hi""",2', ['say "hi"', "2"]),
        ('"unclosed,1,2', ["unclosed", "1", "2"]),
        ("a,,c,", ["a", "", "c", ""]),
        ('12" ruler,3', ['12" ruler', "3"]),
    ],
)
def test_parse_line_forgives_stray_quotes(line: str, cells: list[str]) -> None:
    assert parse_line(line) == cells


@pytest.mark.parametrize(
    ("data", "text", "encoding"),
    [
        (b"\xef\xbb\xbfJos\xc3\xa9", "José", "utf-8"),
        (b"Jos\xe9", "José", "cp1252"),
        (b"\x93quoted\x94", "\u201cquoted\u201d", "cp1252"),
        (b"\x81", "\x81", "latin-1"),  # undefined in cp1252: still read
    ],
)
def test_decode_handles_bom_and_windows_1252(data: bytes, text: str, encoding: str) -> None:
    assert decode(data) == (text, encoding)


def test_read_table_finds_the_header_below_a_title_and_numbers_rows_as_a_spreadsheet() -> None:
    data = b'Report title\r\n\r\nID,Name\r\n1,"Alvarez, Ana"\r\n\r\n2,Bo\rthree,4,5\n'
    table = read_table(data, "t.csv", ["ID", "Name"])
    assert table.header_row == 3
    assert [(r.number, r.get("name")) for r in table.rows] == [(4, "Alvarez, Ana"), (6, "Bo")]
    assert table.unreadable == ((7, "3 cells where the header has 2 (a comma inside a value "
                                    "that is not in quotes?)"),)  # fmt: skip


def test_a_quoted_cell_may_hold_a_line_break() -> None:
    data = b'ID,Note,N\n1,"first line\nsecond line",5\n2,plain,6\n'
    table = read_table(data, "t.csv", ["ID", "Note"])
    assert [(r.number, r.get("Note"), r.get("N")) for r in table.rows] == [
        (2, "first line\nsecond line", "5"),
        (4, "plain", "6"),
    ]


def test_a_mangled_service_list_gives_a_district_or_an_input_error() -> None:
    import contextlib
    import random

    rng = random.Random(15)
    source = service_list_bytes()
    for _ in range(300):
        data = bytearray(source)
        for _ in range(rng.randint(1, 20)):
            data[rng.randrange(len(data))] = rng.choice(b'",\r\n\xe9x0/ -')
        cut = bytes(data[: rng.randrange(len(data) + 1)])
        with contextlib.suppress(InputError):
            result = mp.import_mapped(generic(), {"s.csv": cut}, TODAY)
            assert set(result.services["student_id"]) <= set(result.students["student_id"])


def test_school_ids_are_stable_readable_and_distinct() -> None:
    from pushin_rules.data.importers.assemble import school_ids

    names = ["Juniper Creek Elementary", "École Élémentaire Saint-Jean", "Oak Point", "oak point"]
    ids = school_ids(names)
    assert ids == school_ids(list(reversed(names)))  # the same export gives the same ids
    assert ids["Juniper Creek Elementary"] == "JUNIPER-CREEK-ELEMENTARY"
    assert ids["École Élémentaire Saint-Jean"] == "ECOLE-ELEMENTAIRE-SAINT-JEAN"
    assert len(set(ids.values())) == len(names)


def test_the_readme_mapping_example_gives_what_the_readme_says() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("**Any other system: a mapping file.**")[1]
    sheet = section.split("Worked example. An export like")[1].split("```\n")[1]
    result = mp.import_mapped(generic(), {"export.csv": sheet.encode("utf-8")}, TODAY)
    students = [(s.name, s.grade, s.case_manager) for s in result.students.itertuples()]
    assert students == [("Ana Alvarez", "3", "Lan Nguyen"), ("Jose Baez", "K", "Lan Nguyen")]
    services = [
        (r.student_id, r.service, r.minutes_per_week, r.session_minutes, r.current_model)
        for r in result.services.itertuples(index=False)
    ]
    assert services == [
        ("A1", "speech_language", "60", "30", "pull_out"),
        ("A1", "setss", "135", "45", "push_in"),
    ]
    assert list(result.report["what"]) == ["unknown service code"]
    assert "'Vision'" in result.report["why"].iloc[0]

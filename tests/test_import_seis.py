"""SEIS import: Deliveries + IEP Dates (or Student Goals) exports, with every quirk real
downloads carry, -> a district folder in the CSV contract and a report of every row not used.

The fixtures below are written in the shapes of issue 16: a byte-order mark, a title row above
the header, CRLF line ends, Windows-1252 accents, quoted "Last, First" names, a stray quote
inside a field, "510 - Individual  counseling" with two spaces, thousands separators.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from pushin_rules.cli import main
from pushin_rules.data.importers import seis
from pushin_rules.data.importers.assemble import write_result
from pushin_rules.data.importers.frequency import FrequencyError, parse_frequency
from pushin_rules.data.importers.report import REPORT_COLUMNS
from pushin_rules.data.synth import generate
from pushin_rules.data.synth_seis import seis_files
from pushin_rules.errors import InputError

ROOT = Path(__file__).resolve().parent.parent
TODAY = dt.date(2026, 12, 1)

DELIVERIES_HEADER = (
    "Name,SEIS ID,Service,Delivery,Start Date,End Date,Sessions / Frequency,Location,"
    "Total Minutes (min/year),Total Delivered,Medi-Cal Billing Consent"
)
# (row as a spreadsheet numbers it, line). Row 1 is the title row, row 2 the header.
DELIVERIES_LINES = [
    "Student Services - Deliveries - Sunny Valley USD - 11/30/2026",
    DELIVERIES_HEADER,
    # 3-4: Ana: speech in the therapy room, SAI in class (yearly totals with a thousands comma)
    '"Alvarez, Ana",1000001,415 - Language and Speech,Individual,08/20/2026,08/19/2027,'
    '30 min x 2 Times = 60 min Weekly,Separate Classroom,"2,160",300,Yes',
    '"Alvarez, Ana",1000001,330 - Specialized Academic Instruction,Group,08/20/2026,08/19/2027,'
    "45 min x 3 Times = 135 min Weekly,General Education Classroom,4860,500,No",
    # 5-6: José: last year's counseling (ended) and this year's, two spaces in the name
    '"Báez, José",1000002,510 - Individual  counseling,Individual,08/20/2025,08/19/2026,'
    "30 min Weekly,Other,1080,900,No",
    '"Báez, José",1000002,510 - Individual  counseling,Individual,08/20/2026,08/19/2027,'
    "45 min Weekly,Regular Classroom / Public Day School,1620,0,No",
    # 7: a stray quote inside the name; a frequency nobody can read
    'O"Neil Sam,1000003,450 - Occupational Therapy,Individual,09/01/2026,08/31/2027,'
    "thirty minutes,Therapy Room,1080,0,No",
    # 8: a state code this product does not decide (adapted PE)
    '"Kim, Jae",1000004,425 - Adapted Physical Education,Individual,09/01/2026,08/31/2027,'
    "30 min Weekly,Other,1080,0,No",
    # 9: a student who is not on the roster
    '"Nobody, Not",9999999,460 - Physical Therapy,Individual,09/01/2026,08/31/2027,'
    "30 min Weekly,Therapy Room,1080,0,No",
    # 10: the same row as row 3 again
    '"Alvarez, Ana",1000001,415 - Language and Speech,Individual,08/20/2026,08/19/2027,'
    '30 min x 2 Times = 60 min Weekly,Separate Classroom,"2,160",300,Yes',
    # 11: an unknown code
    '"Kim, Jae",1000004,999 - Tutoring,Individual,09/01/2026,08/31/2027,30 min Weekly,'
    "Other,1080,0,No",
    "",  # 12: a blank line
    # 13: Jae: PT daily in the therapy room, but the yearly total disagrees with the frequency
    '"Kim, Jae",1000004,460 - Physical Therapy,Individual,09/01/2026,08/31/2027,'
    "20 min x 1 Times = 20 min Daily,Therapy Room,900,0,No",
    # 14: Jae: OT monthly, location says nothing clear
    '"Kim, Jae",1000004,450 - Occupational Therapy,Individual,09/01/2026,08/31/2027,'
    "30 min x 4 Times = 120 min Monthly,Other,1080,0,No",
    # 15: a service that ended with no later row
    '"Kim, Jae",1000004,515 - Counseling and Guidance,Group,09/01/2025,06/10/2026,'
    "30 min Weekly,Counseling Office,1080,0,No",
    # 16: a comma that is not in quotes: more cells than the header
    "Kim, Jae,1000004,415 - Language and Speech,Individual,09/01/2026,08/31/2027,"
    "30 min Weekly,Therapy Room,1080,0,No",
    # 17: a future row of Ana's SAI (next IEP): today's row 4 stays current
    '"Alvarez, Ana",1000001,330 - Specialized Academic Instruction,Group,08/20/2027,08/19/2028,'
    "45 min x 4 Times = 180 min Weekly,General Education Classroom,6480,0,No",
    # 18: the preschooler's speech (the student is left out for the grade)
    '"Tot, Tiny",1000005,415 - Language and Speech,Individual,09/01/2026,08/31/2027,'
    "30 min Weekly,Therapy Room,1080,0,No",
    # 19-20: Jae's SAI in two current rows, in class and in a separate class: one hybrid
    '"Kim, Jae",1000004,330 - Specialized Academic Instruction,Group,09/01/2026,08/31/2027,'
    "30 min x 2 Times = 60 min Weekly,General Education Classroom,2160,0,No",
    '"Kim, Jae",1000004,330 - Specialized Academic Instruction,Group,09/01/2026,08/31/2027,'
    "45 min x 2 Times = 90 min Weekly,Separate Classroom,3240,0,No",
    # 21: no SEIS ID
    '"Vega, Luz",,415 - Language and Speech,Individual,09/01/2026,08/31/2027,30 min Weekly,'
    "Therapy Room,1080,0,No",
    # 22: a consultation with Ana's teacher: no setting to decide
    '"Alvarez, Ana",1000001,450 - Occupational Therapy,Consultation,08/20/2026,08/19/2027,'
    "30 min Monthly,General Education Classroom,270,0,No",
]
ROSTER_HEADER = (
    "SEIS ID,SSID,Last Name,First Name,Student Middle Name,Preferred Name,Date of Birth,"
    "District of Service,District of SPED Accountability,School of Attendance,Grade Level,"
    "Case Manager,Disability 1,Date of Next Annual Plan Review,Date of Next Reevaluation,"
    "Date of IEP (Meeting Date on Future IEP forms),Meeting Type"
)
ROSTER_LINES = [
    ROSTER_HEADER,
    "1000001,4000000001,Alvarez,Ana,María,,03/04/2018,Sunny Valley USD,Sunny Valley USD,"
    'Juniper Creek Elementary,02,"Suárez, Joanne",SLI,08/19/2027,08/19/2028,08/20/2026,Annual',
    "1000002,4000000002,Báez,José,,Pepe,05/06/2020,Sunny Valley USD,Sunny Valley USD,"
    'Juniper Creek Elementary,KN,"Suárez, Joanne",SLD,08/19/2027,08/19/2028,08/20/2026,Annual',
    "1000003,4000000003,O'Neil,Sam,,,07/08/2013,Sunny Valley USD,Sunny Valley USD,"
    'Quarry Park Middle,07,"Lee, Kim",OHI,08/31/2027,08/31/2028,09/01/2026,Annual',
    "1000004,4000000004,Kim,Jae,,,09/10/2016,Sunny Valley USD,Sunny Valley USD,"
    'Quarry Park Middle,TK,"Lee, Kim",OI,08/31/2027,08/31/2028,09/01/2026,Annual',
    "1000005,4000000005,Tot,Tiny,,,01/02/2022,Sunny Valley USD,Sunny Valley USD,"
    'Quarry Park Middle,PS,"Lee, Kim",SLI,08/31/2027,08/31/2028,09/01/2026,Initial',
    # a duplicate SEIS ID
    "1000003,4000000003,O'Neil,Samuel,,,07/08/2013,Sunny Valley USD,Sunny Valley USD,"
    'Quarry Park Middle,07,"Lee, Kim",OHI,08/31/2027,08/31/2028,09/01/2026,Annual',
]


def deliveries_bytes() -> bytes:
    """UTF-8 with a byte-order mark and CRLF, as SEIS downloads it."""
    return b"\xef\xbb\xbf" + "\r\n".join(DELIVERIES_LINES).encode("utf-8") + b"\r\n"


def roster_bytes() -> bytes:
    """Windows-1252 (accents are single bytes, not UTF-8), CRLF, as Excel saves it."""
    return "\r\n".join(ROSTER_LINES).encode("cp1252") + b"\r\n"


def run_import(today: dt.date = TODAY):
    return seis.import_seis(
        ("Deliveries.csv", deliveries_bytes()), ("IEP Dates.csv", roster_bytes()), today
    )


# ------------------------------------------------------------------ frequency text

FREQUENCIES = [
    # text, session minutes, sessions per period, minutes per week
    ("30 min x 2 Times = 60 min Weekly", 30, 2, 60),
    ("45 min Weekly", 45, 1, 45),
    ("30 MIN X 1 TIMES = 30 MIN WEEKLY", 30, 1, 30),
    ("20 min x 1 Times = 20 min Daily", 20, 1, 100),  # 5 school days
    ("300 min Daily", 300, 1, 1500),
    ("30 min x 4 Times = 120 min Monthly", 30, 4, 30),  # 4 school weeks a month
    ("60 min Monthly", 60, 1, 15),
    ("1 hr x 2 Times = 2 hr Weekly", 60, 2, 120),
    ("30 minutes per week", 30, 1, 30),
    ("  30\u00a0min  x 2   Times = 60 min   Weekly ", 30, 2, 60),
]


@pytest.mark.parametrize(("text", "session", "times", "weekly"), FREQUENCIES)
def test_frequency_text_gives_weekly_minutes(
    text: str, session: int, times: int, weekly: int
) -> None:
    parsed = parse_frequency(text)
    assert (parsed.session_minutes, parsed.sessions, parsed.minutes_per_week) == (
        session,
        times,
        weekly,
    )


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "empty"),
        ("thirty minutes", "not a frequency"),
        ("30 min x 2 Times = 50 min Weekly", "does not add up"),
        ("15 min Yearly", "less than one minute a week"),
        ("0 min Weekly", "no minutes"),
        ("30 min Fortnightly", "not a frequency"),
    ],
)
def test_unreadable_frequency_says_why(text: str, says: str) -> None:
    with pytest.raises(FrequencyError, match=says):
        parse_frequency(text)


# ------------------------------------------------------------------ the import


def test_students_come_from_the_roster_with_display_names_grades_and_schools() -> None:
    result = run_import()
    students = result.students.set_index("student_id")
    assert list(students.index) == ["1000001", "1000002", "1000003", "1000004"]
    assert students.loc["1000001", "name"] == "Ana Alvarez"
    assert students.loc["1000002", "name"] == "Pepe Báez"  # preferred name, cp1252 accent
    assert students.loc["1000003", "name"] == "Sam O'Neil"  # first row of the duplicate
    assert dict(students["grade"]) == {
        "1000001": "2",
        "1000002": "K",
        "1000003": "7",
        "1000004": "K",
    }
    assert students.loc["1000001", "case_manager"] == "Joanne Suárez"
    assert set(students["classroom"]) == {""}
    schools = result.schools.set_index("school_id")["name"]
    assert students.loc["1000001", "school_id"] == students.loc["1000002", "school_id"]
    assert schools[students.loc["1000001", "school_id"]] == "Juniper Creek Elementary"
    assert schools[students.loc["1000004", "school_id"]] == "Quarry Park Middle"


# service_id, service family, minutes per week, session minutes, current model
EXPECTED_SERVICES = [
    ("1000001-415", "speech_language", 60, 30, "pull_out"),
    ("1000001-330", "setss", 135, 45, "push_in"),
    ("1000002-510", "counseling", 45, 45, ""),  # "Regular Classroom / Public Day School"
    ("1000004-460", "physical_therapy", 100, 20, "pull_out"),
    ("1000004-450", "occupational_therapy", 30, 30, ""),  # "Other"
    ("1000004-330", "setss", 150, 30, "hybrid"),  # 60 in class + 90 outside
]


def test_services_are_the_current_rows_with_weekly_minutes_and_models() -> None:
    services = run_import().services
    got = [
        (r.service_id, r.service, int(r.minutes_per_week), int(r.session_minutes), r.current_model)
        for r in services.itertuples(index=False)
    ]
    assert got == EXPECTED_SERVICES


def test_need_and_implementation_ratings_are_all_empty_and_a_hybrid_keeps_its_split() -> None:
    from pushin_rules.models import FACTORS

    services = run_import().services
    assert (services[list(FACTORS)] == "").all().all()
    split = dict(zip(services["service_id"], services["current_push_in_minutes"], strict=True))
    assert split.pop("1000004-330") == "60"  # the hybrid's minutes in class
    assert set(split.values()) == {""}


# file, row, what (every reason the issue names, each on the row that has it)
EXPECTED_REPORT = [
    ("IEP Dates.csv", 6, "unreadable value", "skipped"),  # grade PS
    ("IEP Dates.csv", 7, "duplicate", "skipped"),
    ("Deliveries.csv", 5, "older row of the service", "skipped"),
    ("Deliveries.csv", 7, "unreadable frequency", "skipped"),
    ("Deliveries.csv", 8, "service not decided here", "skipped"),
    ("Deliveries.csv", 9, "student missing from roster", "skipped"),
    ("Deliveries.csv", 10, "duplicate", "skipped"),
    ("Deliveries.csv", 11, "unknown service code", "skipped"),
    ("Deliveries.csv", 13, "yearly total disagrees", "imported"),
    ("Deliveries.csv", 15, "ended service", "skipped"),
    ("Deliveries.csv", 16, "unreadable row", "skipped"),
    ("Deliveries.csv", 17, "older row of the service", "skipped"),
    ("Deliveries.csv", 18, "student missing from roster", "skipped"),
    ("Deliveries.csv", 19, "read as a hybrid", "imported"),
    ("Deliveries.csv", 21, "no student id", "skipped"),
    ("Deliveries.csv", 22, "consultation", "skipped"),
]


def test_every_row_not_used_is_reported_with_its_reason() -> None:
    report = run_import().report
    assert tuple(report.columns) == REPORT_COLUMNS
    got = [(r.file, int(r.row), r.what, r.outcome) for r in report.itertuples(index=False)]
    assert got == EXPECTED_REPORT
    why = dict(zip(zip(report["file"], report["row"], strict=True), report["why"], strict=True))
    assert "Sessions / Frequency" in why[("Deliveries.csv", 7)]
    assert "thirty minutes" in why[("Deliveries.csv", 7)]
    assert "9999999" in why[("Deliveries.csv", 9)]
    assert "row 1000005" not in why[("Deliveries.csv", 18)]
    assert "IEP Dates.csv row 6" in why[("Deliveries.csv", 18)]
    assert "ended 06/10/2026" in why[("Deliveries.csv", 15)]
    assert "'PS'" in why[("IEP Dates.csv", 6)]
    assert "100 min a week" in why[("Deliveries.csv", 13)]
    assert "Vega" not in why[("Deliveries.csv", 21)]  # the report names no student


def test_a_row_covering_today_wins_over_a_later_start_and_the_latest_start_otherwise() -> None:
    # Before this year's rows start (summer 2026), last year's counseling still covers today.
    services = run_import(dt.date(2026, 8, 1)).services.set_index("service_id")
    assert int(services.loc["1000002-510", "minutes_per_week"]) == 30
    # Next year, Ana's SAI row starting 08/20/2027 is the one that covers today.
    services = run_import(dt.date(2027, 9, 1)).services.set_index("service_id")
    assert int(services.loc["1000001-330", "minutes_per_week"]) == 180


def test_student_goals_report_serves_as_the_roster() -> None:
    goals = "\r\n".join(
        [
            "SEIS ID,District ID,Last Name,First Name,Birthdate,Grade,School of Attendance,"
            "District of Service,Case Manager,IEP Date,Goal Area,Goal",
            "1000001,D1,Alvarez,Ana,03/04/2018,02,Juniper Creek Elementary,Sunny Valley USD,"
            '"Suárez, Joanne",08/20/2026,Articulation,"Produce /s/, /z/ in words"',
            "1000001,D1,Alvarez,Ana,03/04/2018,02,Juniper Creek Elementary,Sunny Valley USD,"
            '"Suárez, Joanne",08/20/2026,Reading,Read a grade-level passage',
        ]
    ).encode("utf-8")
    assert seis.recognise(goals) == "student_goals"
    result = seis.import_seis(("Deliveries.csv", deliveries_bytes()), ("goals.csv", goals), TODAY)
    assert list(result.students["student_id"]) == ["1000001"]
    assert list(result.services["service_id"]) == ["1000001-415", "1000001-330"]
    # one row per goal: a repeated student is expected, not a duplicate
    assert "goals.csv" not in set(result.report["file"])


def test_files_are_recognised_by_their_header_whatever_their_names() -> None:
    found = seis.recognise_files(
        {"export (3).csv": roster_bytes(), "download.csv": deliveries_bytes(), "x.csv": b"a,b\n"}
    )
    assert {k: name for k, (name, _) in found.items()} == {
        "iep_dates": "export (3).csv",
        "deliveries": "download.csv",
    }


@pytest.mark.parametrize(
    ("location", "model"),
    [
        ("General Education Classroom", "push_in"),
        ("Regular Classroom", "push_in"),
        ("Separate Classroom", "pull_out"),
        ("Special Education Classroom", "pull_out"),
        ("Therapy Room", "pull_out"),
        ("Service Provider's Office", "pull_out"),
        ("Regular Classroom / Public Day School", ""),
        ("Other", ""),
        ("Home", ""),
        ("", ""),
    ],
)
def test_model_comes_from_location_only_when_it_says_plainly(location: str, model: str) -> None:
    assert seis.model_from_location(location) == model


# ------------------------------------------------------------------ command line


def write_fixtures(tmp_path: Path) -> tuple[Path, Path]:
    deliveries, roster = tmp_path / "Deliveries.csv", tmp_path / "IEP Dates.csv"
    deliveries.write_bytes(deliveries_bytes())
    roster.write_bytes(roster_bytes())
    return deliveries, roster


def test_cli_writes_the_district_folder_and_the_report(tmp_path: Path, capsys) -> None:
    deliveries, roster = write_fixtures(tmp_path)
    out = tmp_path / "district"
    argv = ["import", "seis", "--deliveries", str(deliveries), "--roster", str(roster)]
    status = main([*argv, "--out", str(out), "--today", TODAY.isoformat()])
    assert status == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "import_report.csv",
        "schools.csv",
        "services.csv",
        "students.csv",
    ]
    services = pd.read_csv(out / "services.csv", dtype=str, keep_default_na=False)
    assert list(services["minutes_per_week"]) == [str(s[2]) for s in EXPECTED_SERVICES]
    report = pd.read_csv(out / "import_report.csv", dtype=str, keep_default_na=False)
    assert len(report) == len(EXPECTED_REPORT)
    assert "4 students at 2 schools, 6 services" in capsys.readouterr().out


def test_cli_exits_2_with_a_message_when_nothing_is_usable(tmp_path: Path) -> None:
    deliveries = tmp_path / "Deliveries.csv"
    deliveries.write_text(DELIVERIES_HEADER + "\n", encoding="utf-8")
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER_HEADER + "\n", encoding="utf-8")
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "pushin_rules", "import", "seis", "--deliveries", str(deliveries),
         "--roster", str(roster), "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "Nothing usable was found in Deliveries.csv, roster.csv" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not out.exists()


@pytest.mark.parametrize(
    ("which", "content", "says"),
    [
        ("roster", b"Name,Grade\nAna,2\n", "roster.csv: row 1: not a SEIS IEP Dates"),
        ("deliveries", b"SEIS ID,Service\n1,415\n", "Deliveries.csv: row 1: no header row"),
        ("deliveries", b"", "Deliveries.csv: row 1: no header row"),
        ("deliveries", b"\xff\xfe\x00\x01garbage", "Deliveries.csv: row 1"),
    ],
)
def test_cli_names_the_file_that_is_not_a_seis_export(
    tmp_path: Path, capsys, which: str, content: bytes, says: str
) -> None:
    deliveries, roster = tmp_path / "Deliveries.csv", tmp_path / "roster.csv"
    deliveries.write_bytes(deliveries_bytes())
    roster.write_bytes(roster_bytes())
    (deliveries if which == "deliveries" else roster).write_bytes(content)
    argv = ["import", "seis", "--deliveries", str(deliveries), "--roster", str(roster)]
    assert main([*argv, "--out", str(tmp_path / "out")]) == 2
    assert says in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_cli_missing_file_and_unwritable_out_are_messages(tmp_path: Path, capsys) -> None:
    deliveries, roster = write_fixtures(tmp_path)
    argv = ["import", "seis", "--roster", str(roster)]
    assert main([*argv, "--deliveries", str(tmp_path / "nope.csv"), "--out", "x"]) == 2
    assert "nope.csv: cannot read the file" in capsys.readouterr().err
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    assert main([*argv, "--deliveries", str(deliveries), "--out", str(blocker)]) == 2
    assert "it is a file, not a folder" in capsys.readouterr().err
    assert blocker.read_text() == "not a folder"


def test_a_second_import_replaces_the_folder_files_whole(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_result(run_import(), out)
    first = (out / "services.csv").read_bytes()
    write_result(run_import(dt.date(2027, 9, 1)), out)
    assert (out / "services.csv").read_bytes() != first
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]


# ------------------------------------------------------------------ round trip


@pytest.fixture(scope="module")
def synthetic():
    frames = generate(60, 1)
    files = seis_files(frames)
    result = seis.import_seis(
        ("Deliveries.csv", files["Deliveries.csv"]),
        ("IEP_Dates.csv", files["IEP_Dates.csv"]),
        TODAY,
    )
    return frames, files, result


def test_round_trip_synth_to_seis_to_import_keeps_students(synthetic) -> None:
    frames, _files, result = synthetic
    made = frames["students.csv"].set_index("student_id")
    got = result.students.set_index("student_id")
    assert list(got.index) == list(made.index)
    assert list(got["name"]) == list(made["name"])
    assert list(got["grade"]) == list(made["grade"])
    assert list(got["case_manager"]) == list(made["case_manager"])
    school_names = frames["schools.csv"].set_index("school_id")["name"]
    imported_names = result.schools.set_index("school_id")["name"]
    assert list(got["school_id"].map(imported_names)) == list(made["school_id"].map(school_names))


def test_round_trip_keeps_every_service_and_its_weekly_minutes(synthetic) -> None:
    frames, _files, result = synthetic
    made = frames["services.csv"]
    got = result.services
    assert len(got) == len(made)
    key = ["student_id", "service"]
    assert list(map(tuple, got[key].to_numpy())) == list(map(tuple, made[key].to_numpy()))
    assert list(got["minutes_per_week"].astype(int)) == list(made["minutes_per_week"])
    assert list(got["session_minutes"].astype(int)) == list(made["session_minutes"])
    assert list(got["current_model"]) == list(made["current_model"])
    hybrid = (made["current_model"] == "hybrid").to_numpy()
    assert hybrid.any()
    assert list(got["current_push_in_minutes"][hybrid].astype(int)) == list(
        made["current_push_in_minutes"][hybrid]
    )
    # last year's rows are reported as older rows of their service, and each hybrid's
    # two rows as one hybrid; nothing else
    older = [i for i in range(len(made)) if i % 5 == 4 and not hybrid[i]]
    counts = result.report["what"].value_counts().to_dict()
    assert counts == {"older row of the service": len(older), "read as a hybrid": hybrid.sum()}


def test_synthetic_seis_files_carry_the_quirks(synthetic) -> None:
    _frames, files, _result = synthetic
    deliveries = files["Deliveries.csv"]
    assert deliveries.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in deliveries
    assert b'"Brennan, Theo"' in deliveries
    assert b"510 - Individual  counseling" in deliveries
    assert not deliveries[3:].startswith(b"Name,")  # a title row first


def test_the_imported_folder_loads_as_a_district(synthetic, tmp_path: Path) -> None:
    from pushin_rules.data.loader import load_district

    _frames, _files, result = synthetic
    write_result(result, tmp_path / "district")
    district = load_district(tmp_path / "district")
    assert len(district.students) == len(result.students)
    assert len(district.services) == len(result.services)


def test_bad_input_never_raises_anything_but_an_input_error() -> None:
    """Mangled exports (cut short, bytes flipped, lines shuffled) give a district or an
    InputError, never another exception."""
    import random

    rng = random.Random(16)

    def mangle(source: bytes) -> bytes:
        data = bytearray(source)
        for _ in range(rng.randint(1, 20)):
            data[rng.randrange(len(data))] = rng.choice(b'",\r\n\xe9x0/ ')
        return bytes(data[: rng.randrange(len(data) + 1)])

    for turn in range(300):
        deliveries = mangle(deliveries_bytes()) if turn % 3 != 1 else deliveries_bytes()
        roster = mangle(roster_bytes()) if turn % 3 != 0 else roster_bytes()
        with contextlib.suppress(InputError):
            result = seis.import_seis(("d.csv", deliveries), ("r.csv", roster), TODAY)
            assert set(result.services["student_id"]) <= set(result.students["student_id"])


# ------------------------------------------------------------------ Data page

APP = str(ROOT / "app.py")


@contextlib.contextmanager
def stored_sample(data_dir: Path):
    """The app on a fresh SQLite database seeded with the bundled sample."""
    import os

    values = {"PUSHIN_DATA_DIR": str(data_dir), "PUSHIN_SEED": None, "PUSHIN_DATABASE_URL": None}
    saved = {k: os.environ.get(k) for k in values}
    try:
        for key, value in values.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def data_page_with_preview(result):
    """The Data page holding a SEIS preview, as an upload of the two exports leaves it
    (AppTest cannot drive a file uploader; the browser can)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("pages/data.py")
    at.session_state["data_seis_preview"] = {"result": result}
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_data_page_previews_seis_exports_before_storing_anything(tmp_path: Path) -> None:
    with stored_sample(tmp_path):
        at = data_page_with_preview(run_import())
        metrics = {m.label: m.value for m in at.metric}
        assert metrics == {
            "Students": "4",
            "Schools": "2",
            "Services": "6",
            "Rows not imported": "14",
            "Imported with a note": "2",
        }
        report = next(d.value for d in at.dataframe if "why" in d.value.columns)
        assert len(report) == len(EXPECTED_REPORT)
        assert "60 students" in at.markdown[0].value  # still the stored sample
        next(b for b in at.button if b.label == "Discard").click()
        at.run()
        assert not at.metric
        assert "data_seis_preview" not in at.session_state


def test_data_page_imports_the_previewed_seis_district(tmp_path: Path) -> None:
    with stored_sample(tmp_path):
        at = data_page_with_preview(run_import())
        next(b for b in at.button if b.label == "Import these students and services").click()
        at.run()
        assert at.success and "Loaded SEIS export" in at.success[0].value
        assert "4 students" in at.markdown[0].value


def test_the_readme_worked_example_gives_what_the_readme_says() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Importing from your IEP system")[1]
    block = section.split("Worked example")[1].split("```\n")[1].split("```")[0]
    deliveries = b"\xef\xbb\xbf" + block.replace("\n", "\r\n").encode("utf-8")
    roster = "\r\n".join(
        [
            ROSTER_HEADER,
            "1000001,1,Alvarez,Ana,,,01/01/2018,X,X,Juniper Creek Elementary,02,,SLI,,,,Annual",
            "1000002,2,Baez,Jose,,Pepe,01/01/2020,X,X,Juniper Creek Elementary,KN,,SLI,,,,Annual",
        ]
    ).encode("cp1252")
    result = seis.import_seis(("Deliveries.csv", deliveries), ("IEP Dates.csv", roster), TODAY)
    assert list(result.students["name"]) == ["Ana Alvarez", "Pepe Baez"]
    table = [
        line.strip("|").split("|") for line in section.splitlines() if line.startswith("| 1000")
    ]
    expected = [
        (c[0].strip(), c[1].strip(), c[2].strip(), c[3].strip(), c[4].strip()) for c in table
    ]
    got = [
        (r.service_id, r.service, r.minutes_per_week, r.session_minutes, r.current_model)
        for r in result.services.itertuples(index=False)
    ]
    assert [g[:4] for g in got] == [e[:4] for e in expected]
    assert [g[4] or "(empty" for g in got] == [e[4].split(":")[0] for e in expected]
    assert list(result.report["what"]) == ["older row of the service", "service not decided here"]


@pytest.mark.browser
def test_uploading_seis_exports_in_a_browser_shows_the_preview_first(tmp_path: Path) -> None:
    """The real upload path (AppTest cannot drive the file uploader): the two exports with
    unhelpful names are recognised, previewed, and nothing is stored until confirmed."""
    sync_api = pytest.importorskip("playwright.sync_api")
    chromium_path = "/usr/bin/chromium"
    if not Path(chromium_path).exists():
        pytest.skip("Debian's Chromium is not installed")
    from appserver import streamlit_server

    (tmp_path / "export (1).csv").write_bytes(deliveries_bytes())
    (tmp_path / "export (2).csv").write_bytes(roster_bytes())
    idle = "[data-testid='stApp'][data-test-script-state='notRunning']"
    with (
        streamlit_server(tmp_path / "db") as server,
        sync_api.sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(
            executable_path=chromium_path, args=["--no-sandbox", "--disable-gpu"]
        )
        tab = browser.new_page(viewport={"width": 1280, "height": 900})
        tab.set_default_timeout(90_000)

        def settle() -> None:
            tab.wait_for_timeout(300)
            tab.wait_for_selector(idle)
            tab.wait_for_timeout(200)

        tab.goto(server.url)
        settle()
        tab.locator("[data-testid='stSidebarNav'] a", has_text="Data").first.click()
        settle()
        tab.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files(
            [str(tmp_path / "export (1).csv"), str(tmp_path / "export (2).csv")]
        )
        settle()
        sync_api.expect(tab.get_by_text("export (2).csv")).to_be_visible()  # uploaded
        tab.get_by_role("button", name="Check and load the uploaded files").click()
        settle()
        sync_api.expect(tab.get_by_text("SEIS exports: what will be imported")).to_be_visible(
            timeout=30_000
        )
        expect = sync_api.expect
        expect(tab.locator("[data-testid='stMetric']", has_text="Services")).to_contain_text("6")
        expect(tab.get_by_text("60 students", exact=False).first).to_be_visible()  # not stored
        assert tab.locator("[data-testid='stException']").count() == 0
        (ROOT / "test-artifacts").mkdir(exist_ok=True)
        tab.screenshot(path=str(ROOT / "test-artifacts" / "data-seis-preview.png"), full_page=True)
        tab.get_by_role("button", name="Discard").click()
        settle()
        expect(tab.get_by_text("SEIS exports: what will be imported")).to_have_count(0)
        # Deliveries alone: the page asks for the roster instead of importing half
        tab.goto(server.url)  # a fresh session: an empty uploader
        settle()
        tab.locator("[data-testid='stSidebarNav'] a", has_text="Data").first.click()
        settle()
        tab.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files(
            [str(tmp_path / "export (1).csv")]
        )
        settle()
        sync_api.expect(tab.get_by_text("export (1).csv")).to_be_visible()  # uploaded
        tab.get_by_role("button", name="Check and load the uploaded files").click()
        settle()
        sync_api.expect(
            tab.get_by_text("upload a roster (IEP Dates or Student Goals) with it")
        ).to_be_visible(timeout=30_000)
        browser.close()


def test_synth_command_writes_seis_exports_the_importer_reads(tmp_path: Path) -> None:
    """`synth --format seis` writes the district as SEIS exports; importing them gives every
    generated student back, with each service's weekly minutes."""
    import subprocess
    import sys

    seis = tmp_path / "seis"
    out = tmp_path / "imported"
    root = Path(__file__).resolve().parents[1]
    cli = [sys.executable, "-m", "pushin_rules"]
    subprocess.run(
        [*cli, "synth", "--students", "25", "--seed", "4", "--format", "seis", "--out", str(seis)],
        check=True,
        cwd=root,
    )
    assert sorted(p.name for p in seis.iterdir()) == ["Deliveries.csv", "IEP_Dates.csv"]
    subprocess.run(
        [
            *cli,
            "import",
            "seis",
            "--deliveries",
            str(seis / "Deliveries.csv"),
            "--roster",
            str(seis / "IEP_Dates.csv"),
            "--out",
            str(out),
        ],
        check=True,
        cwd=root,
    )
    from pushin_rules.data.synth import generate

    frames = generate(25, 4)
    students = pd.read_csv(out / "students.csv", dtype=str)
    assert sorted(students["student_id"]) == sorted(frames["students.csv"]["student_id"])

"""A failed import leaves no trace: the stored district, its version and the audit log stay
exactly as they were, for replace and for merge. A successful one is audited with who did it.

Uploads go the way the Data page sends them: `exchange.uploaded_files` (CSV files or a zip), then
`parse_district`, then `Store.import_district` only when the files are valid.
"""

from __future__ import annotations

import datetime as dt
import io
import tempfile
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_fuzz_loader import EXAMPLES, adversarial_files, base_files

from pushin_rules.data.district import District
from pushin_rules.data.loader import parse_district
from pushin_rules.data.store import Store
from pushin_rules.errors import DistrictError
from pushin_rules.present import exchange
from pushin_rules.present.access import LOCAL_USER

MODES = ("replace", "merge")


def snapshot(store: Store) -> tuple:
    """Everything a failed import must leave alone."""
    district = store.load_district()
    frames = {name: frame.copy() for name, frame in district.frames().items()}
    return district.fingerprint, store.district_version(), frames, store.audit_log(limit=1000)


def assert_unchanged(store: Store, before: tuple) -> None:
    fingerprint, version, frames, audit = before
    district = store.load_district()
    assert district.fingerprint == fingerprint
    assert store.district_version() == version
    for name, frame in district.frames().items():
        pd.testing.assert_frame_equal(frame, frames[name], check_exact=True)
    pd.testing.assert_frame_equal(store.audit_log(limit=1000), audit)


def upload(store: Store, files: dict[str, bytes], mode: str, actor: str) -> str:
    """The Data page's path for an upload; returns 'loaded' or 'refused'."""
    chosen, _notes = exchange.uploaded_files(files.items())
    try:
        district = parse_district(chosen, source="uploaded files")
    except DistrictError:
        return "refused"
    store.import_district(district, mode=mode, actor=actor)
    return "loaded"


def seeded(url: str) -> Store:
    store = Store.open(url, seed_dir=None)
    store.import_district(parse_district(base_files(), source="base"), mode="replace", actor="x")
    return store


# ------------------------------------------------------------------ bad uploads


@settings(
    max_examples=max(4, EXAMPLES // 3),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(adversarial_files(), st.sampled_from(MODES), st.booleans())
def test_a_refused_upload_leaves_the_store_as_it_was(
    files: dict[str, bytes], mode: str, zipped: bool
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = seeded(f"sqlite:///{Path(tmp) / 'pushin.db'}")
        try:
            before = snapshot(store)
            sent = files
            if zipped:  # the same files as one zip, as the page also accepts
                buffer = io.BytesIO()
                with zipfile.ZipFile(buffer, "w") as archive:
                    for name, data in files.items():
                        archive.writestr(f"export/{name}", data)
                sent = {"district.zip": buffer.getvalue()}
            if upload(store, sent, mode, "editor@district.example") == "refused":
                assert_unchanged(store, before)
            else:
                log = store.audit_log(limit=1)
                assert log.loc[0, "who"] == "editor@district.example"
                assert log.loc[0, "action"] == f"import_{mode}"
        finally:
            store.close()


# ------------------------------------------------------------------ imports that fail half-way


class Crash(Exception):
    pass


@pytest.mark.parametrize("mode", MODES)
def test_an_import_that_fails_half_way_changes_nothing(db_url: str, mode: str) -> None:
    store = seeded(db_url)
    try:
        before = snapshot(store)
        files = base_files()  # one school renamed, one student renamed, one student added
        files["schools.csv"] = files["schools.csv"].replace(b"Alder Elementary", b"Alder New")
        files["students.csv"] = (
            files["students.csv"].replace(b"Ana Ruiz", b"Ana Changed") + b"S4,Dee Vance,2,B,,\n"
        )
        new = parse_district(files)

        def crash(table: str, done: int, total: int) -> None:
            # replace: schools are written by now; merge: the school and a student updated
            if table == "students":
                raise Crash("the connection dropped")

        with pytest.raises(Crash):
            store.import_district(
                new, mode=mode, actor="editor@district.example", on_progress=crash
            )
        assert_unchanged(store, before)
    finally:
        store.close()


@pytest.mark.parametrize("mode", MODES)
def test_a_district_the_database_refuses_changes_nothing(db_url: str, mode: str) -> None:
    """A district built without the loader (two students with one id) fails in the database
    as a DistrictError, and the transaction leaves nothing behind."""
    store = seeded(db_url)
    try:
        before = snapshot(store)
        good = parse_district(base_files())
        students = pd.concat([good.students, good.students.iloc[[0]]], ignore_index=True)
        frames = {**good.frames(), "students": students}
        bad = District(**frames, source="crafted")
        with pytest.raises(DistrictError):
            store.import_district(bad, mode=mode, actor="editor@district.example")
        assert_unchanged(store, before)
    finally:
        store.close()


# ------------------------------------------------------------------ audit


def test_every_import_is_audited_with_who_and_when(db_url: str) -> None:
    store = Store.open(db_url, seed_dir=None)
    try:
        start = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)
        district = parse_district(base_files(), source="base")
        store.import_district(district, mode="replace", actor="casey@district.example")
        store.import_district(district, mode="merge", actor=LOCAL_USER)
        log = store.audit_log(limit=10)
        imports = log[log["action"].str.startswith("import_")].reset_index(drop=True)
        assert list(imports["who"]) == [LOCAL_USER, "casey@district.example"]  # newest first
        assert list(imports["action"]) == ["import_merge", "import_replace"]
        assert (imports["when"] >= pd.Timestamp(start)).all()
        assert imports["details"].str.contains("base").all()
        with pytest.raises(ValueError, match="actor"):
            store.import_district(district, mode="replace", actor="  ")
    finally:
        store.close()


# ------------------------------------------------------------------ crafted zips


def _zip_with_flag(flag_bit: int = 0, method: int | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("students.csv", "student_id,name,grade,school_id\nS1,Ana,3,A\n")
    data = bytearray(buffer.getvalue())
    central = data.find(b"PK\x01\x02")
    data[6] |= flag_bit
    data[central + 8] |= flag_bit
    if method is not None:
        data[8] = method
        data[central + 10] = method
    return bytes(data)


@pytest.mark.parametrize(
    "content", [_zip_with_flag(flag_bit=1), _zip_with_flag(method=99)], ids=["encrypted", "m99"]
)
def test_a_crafted_zip_is_set_aside_with_a_note(content: bytes) -> None:
    files, notes = exchange.uploaded_files([("district.zip", content)])
    assert files == {}
    assert any("district.zip" in note for note in notes)

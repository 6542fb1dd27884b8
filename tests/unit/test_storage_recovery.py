"""Recovery data: kept only with consent, under the keyed hash, deleted on request and by retention."""
from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from bot.storage import RecoveryRepository, create_engine, hash_sender

KEY = "unit-test-key"
NOW = datetime(2026, 12, 2, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def engine(migrated_db):
    engine = create_engine(f"sqlite:///{migrated_db}")
    yield engine
    engine.dispose()


def repo(engine, moment=NOW):
    return RecoveryRepository(engine, KEY, clock=lambda: moment)


def test_nothing_is_stored_without_consent(engine):
    recovery = repo(engine)
    with pytest.raises(ValueError):
        recovery.save_profile("p1", consent=False, surgery_date=date(2026, 11, 20))
    with pytest.raises(ValueError):
        recovery.save_profile("p1", consent="yes", surgery_date=date(2026, 11, 20))  # type: ignore[arg-type]
    assert recovery.add_score("p1", 5) is False
    assert recovery.profile("p1") is None and recovery.scores("p1") == []


def test_profile_and_diary_round_trip_under_the_keyed_hash(engine):
    recovery = repo(engine)
    recovery.save_profile("whatsapp:+15551234567", True, surgery_date=date(2026, 11, 20))
    recovery.save_profile("whatsapp:+15551234567", True, checkins=True)  # keeps the date
    assert recovery.add_score("whatsapp:+15551234567", 6, "leg") is True
    profile = recovery.profile("whatsapp:+15551234567")
    assert (profile.surgery_date, profile.checkins) == (date(2026, 11, 20), True)
    [entry] = recovery.scores("whatsapp:+15551234567")
    assert (entry.at, entry.score, entry.area) == (NOW, 6, "leg")
    with engine.connect() as connection:
        stored = [str(value) for table in ("recovery_profiles", "pain_scores")
                  for row in connection.execute(sa.text(f"SELECT * FROM {table}")) for value in row]
    assert hash_sender("whatsapp:+15551234567", KEY) in stored
    assert not any("5551234567" in value for value in stored)


@pytest.mark.parametrize("score, area", [(11, None), (-1, None), (5, "arm")])
def test_bad_scores_are_refused(engine, score, area):
    recovery = repo(engine)
    recovery.save_profile("p1", True)
    with pytest.raises(ValueError):
        recovery.add_score("p1", score, area)


def test_delete_removes_only_that_patients_data(engine):
    recovery = repo(engine)
    for patient in ("p1", "p2"):
        recovery.save_profile(patient, True, surgery_date=date(2026, 11, 20))
        recovery.add_score(patient, 3)
        recovery.add_score(patient, 4)
    assert recovery.delete("p1") == {"pain scores": 2, "check-ins": 0, "contact address": 0, "profile": 1}
    assert recovery.profile("p1") is None and recovery.scores("p1") == []
    assert recovery.profile("p2") is not None and len(recovery.scores("p2")) == 2
    assert sum(recovery.delete("p1").values()) == 0


def test_retention_deletes_old_entries_and_profiles_not_saved_since(engine):
    old = repo(engine, NOW - timedelta(days=100))
    old.save_profile("p1", True, surgery_date=date(2026, 8, 1))
    old.add_score("p1", 7)
    old.save_profile("p2", True)
    repo(engine).add_score("p1", 5)   # a recent entry keeps the profile in use
    assert repo(engine).purge(NOW - timedelta(days=90)) == 2   # p1's old entry, p2's profile
    assert [entry.score for entry in repo(engine).scores("p1")] == [5]
    assert repo(engine).profile("p1").surgery_date == date(2026, 8, 1)
    assert repo(engine).profile("p2") is None

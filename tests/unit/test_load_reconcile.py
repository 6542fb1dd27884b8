"""`make load`'s proof: what the clients were answered against what PostgreSQL holds."""
from collections import Counter

import sqlalchemy as sa

from bot.storage.models import conversation_id, hash_sender
from bot.tooling.load import Tally, reconcile

KEY = "load-test-key"


def database(tmp_path, user_events, escalations):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'load.db'}")
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE events (sender_id TEXT, type_name TEXT)"))
        connection.execute(sa.text("CREATE TABLE escalations (sender_hash TEXT)"))
        connection.execute(sa.text("CREATE TABLE callback_requests (sender_hash TEXT)"))
        for sender, count in user_events.items():
            rasa_id = conversation_id("rest", sender, KEY)  # what the REST channel hands Rasa
            for _ in range(count):
                connection.execute(sa.text("INSERT INTO events VALUES (:s, 'user')"), {"s": rasa_id})
            connection.execute(sa.text("INSERT INTO events VALUES (:s, 'bot')"), {"s": rasa_id})
        for sender in escalations:
            connection.execute(sa.text("INSERT INTO escalations VALUES (:h)"),
                               {"h": hash_sender(conversation_id("rest", sender, KEY), KEY)})
    return engine


def tally():
    answered = Tally(sent=Counter({"a": 3, "b": 1}))
    answered.expected[("escalations", "b")] += 1
    return answered


def test_everything_stored_once_passes(tmp_path):
    assert reconcile(database(tmp_path, {"a": 3, "b": 1}, ["b"]), KEY, tally()) == []


def test_a_lost_turn_a_doubled_turn_and_a_lost_escalation_are_each_reported(tmp_path):
    problems = reconcile(database(tmp_path, {"a": 2, "b": 2}, []), KEY, tally())
    assert problems == ["a: 3 messages answered, 2 in the tracker store",
                        "b: 1 messages answered, 2 in the tracker store",
                        "b: 1 escalations expected, 0 stored"]

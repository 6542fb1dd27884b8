"""Recovery data around the Rasa server's own store, on a controlled clock: check-ins planned in the
database survive a restart and go out once, and "delete my data" also deletes the conversation
from Rasa's SQL tracker store (the one endpoints.yml configures), the patient's only."""
from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa_sdk.executor import CollectingDispatcher

from actions import database, recovery
from actions.recovery import ActionCheckin, ActionDeleteMyData, ActionStartCheckins, ActionStopCheckins
from bot.recovery import delivery
from bot.settings import Settings

KEY = "test-key"
SURGERY = date(2026, 11, 30)
PLANNED = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
DAY_3 = datetime(2026, 12, 3, 15, 0, tzinfo=timezone.utc)  # 10:00 in New York


@pytest.fixture
def settings(tmp_path, monkeypatch, migrated_db):
    monkeypatch.setenv("BOT_VAR_DIR", str(tmp_path))  # the tracker store reads the environment
    monkeypatch.setenv("SENDER_HASH_KEY", KEY)
    monkeypatch.setattr(database, "clinic_zone", lambda: ZoneInfo("America/New_York"))
    return Settings(var_dir=tmp_path, sender_hash_key=KEY)


@pytest.fixture
def tracker_store(settings, domain):
    from bot.storage.tracker_store import ConfiguredSQLTrackerStore

    store = ConfiguredSQLTrackerStore(domain)
    yield store
    store.engine.dispose()


def chat(tracker_store, domain, sender, *texts):
    """A conversation the Rasa server has saved, one user message and one answer per text."""
    events = [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")]
    for text in texts:
        events += [UserUttered(text, {"name": "tell_surgery_date", "confidence": 1.0}),
                   BotUttered("You are 1 day after surgery."), ActionExecuted("action_listen")]
    asyncio.run(tracker_store.save(DialogueStateTracker.from_events(sender, events, domain.slots)))


def action_tracker(tracker_for, sender, text, intent, **slots):
    return tracker_for(text, intent, sender_id=sender, slots=slots)


# --- check-ins survive a restart -------------------------------------------------------------

def test_a_planned_checkin_survives_a_restart_and_goes_out_once(action_server, tracker_store, domain,
                                                               tracker_for, domain_dict):
    consented = {"recovery_consent": True, "surgery_date": SURGERY.isoformat()}
    for sender in ("whatsapp:+15550001111", "telegram:42"):
        chat(tracker_store, domain, sender, "I had surgery yesterday")
        stores = action_server(PLANNED)
        stores.recovery.save_profile(sender, True, surgery_date=SURGERY)
        ActionStartCheckins().run(CollectingDispatcher(), action_tracker(tracker_for, sender, "check in on me",
                                                                         "checkins_start", **consented), domain_dict)
    ActionStopCheckins().run(CollectingDispatcher(), action_tracker(tracker_for, "telegram:42", "unsubscribe",
                                                                    "checkins_stop"), domain_dict)
    stores.close()

    sent = []

    def trigger(sender_id):
        """What the Rasa server does with the check-in intent: its rule runs action_checkin."""
        dispatcher = CollectingDispatcher()
        ActionCheckin().run(dispatcher, action_tracker(tracker_for, sender_id, "", "EXTERNAL_checkin"), domain_dict)
        sent.extend((sender_id, message["response"]) for message in dispatcher.messages)

    # Both servers restarted: their Rasa reminders are gone. Just after its time, the reminder of
    # a Rasa server that kept it may still be firing: nothing goes out from the database yet.
    late = DAY_3 + delivery.GRACE
    stores = action_server(late - timedelta(minutes=1))
    assert delivery.send_due(stores, late - timedelta(minutes=1), trigger) == 0
    # Then the new process finds it in the database and sends it, to the patient who still
    # wants check-ins only (the one who said "unsubscribe" gets nothing).
    stores = action_server(late)
    assert delivery.send_due(stores, late, trigger) == 1
    assert sent == [("whatsapp:+15550001111", "utter_checkin")]
    # Triggered again (its Rasa reminder after all, the next round, a second action server): once only.
    trigger("whatsapp:+15550001111")
    stores = action_server(late + timedelta(minutes=1))
    assert delivery.send_due(stores, late + timedelta(minutes=1), trigger) == 0
    assert sent == [("whatsapp:+15550001111", "utter_checkin")]
    [day_3, day_14, day_42] = stores.recovery.planned_checkins("whatsapp:+15550001111")
    assert (day_3[0], day_3[2]) == (3, late) and day_14[2] is None and day_42[2] is None
    stores.close()


def test_a_checkin_the_rasa_server_could_not_take_is_sent_next_round(action_server, tracker_store,
                                                                     domain, tracker_for, domain_dict):
    chat(tracker_store, domain, "sms-patient", "I had surgery yesterday")
    stores = action_server(PLANNED)
    stores.recovery.save_profile("sms-patient", True, surgery_date=SURGERY, checkins=True)
    stores.recovery.plan_checkins("sms-patient", [(3, DAY_3)])

    def down(sender_id):
        raise ConnectionRefusedError("the Rasa server is starting")

    late = DAY_3 + delivery.GRACE
    assert delivery.send_due(stores, late, down) == 0
    assert stores.recovery.due_checkins(late) != []  # still due: nothing was marked sent
    assert delivery.send_due(stores, late + timedelta(minutes=1), lambda sender_id: None) == 1
    stores.close()


# --- delete my data deletes the conversation too --------------------------------------------

def test_delete_my_data_leaves_no_event_of_the_patient(action_server, tracker_store, domain,
                                                      tracker_for, domain_dict):
    for sender in ("patient-a", "patient-b"):
        chat(tracker_store, domain, sender, "I had surgery on November 30", "my pain is 6/10, my leg is numb")
        stores = action_server(PLANNED)
        stores.recovery.save_profile(sender, True, surgery_date=SURGERY, checkins=True)
        stores.recovery.add_score(sender, 6)
        stores.recovery.plan_checkins(sender, [(3, DAY_3)])
    before_b = stores.conversations.count("patient-b")

    async def the_turn():
        """One turn as the Rasa server runs it: read, the action, then save what the turn added."""
        tracker = await tracker_store.retrieve("patient-a")
        tracker.update(UserUttered("delete my data", {"name": "delete_my_data", "confidence": 1.0}))
        dispatcher = CollectingDispatcher()
        returned = await ActionDeleteMyData().run(dispatcher, action_tracker(tracker_for, "patient-a",
                                                                             "delete my data", "delete_my_data"),
                                                  domain_dict)
        tracker.update(ActionExecuted("action_delete_my_data"))
        for event in returned:
            if event["event"] == "slot":
                tracker.update(SlotSet(event["name"], event["value"]))
        tracker.update(BotUttered("Done. I deleted ..."))
        tracker.update(ActionExecuted("action_listen"))
        await tracker_store.save(tracker)
        await asyncio.gather(*recovery._forgetting)  # the request's own turn, once saved
        return dispatcher

    dispatcher = asyncio.run(the_turn())
    assert [message["response"] for message in dispatcher.messages] == ["utter_data_deleted"]
    assert "our conversation" in domain_dict["responses"]["utter_data_deleted"][0]["text"]
    assert stores.conversations.count("patient-a") == 0
    assert asyncio.run(tracker_store.retrieve("patient-a")) is None
    assert stores.recovery.profile("patient-a") is None and stores.recovery.scores("patient-a") == []
    assert stores.recovery.planned_checkins("patient-a") == []
    # Another patient's conversation and data stay.
    assert stores.conversations.count("patient-b") == before_b > 0
    assert stores.recovery.profile("patient-b").surgery_date == SURGERY
    assert len(stores.recovery.scores("patient-b")) == 1 and len(stores.recovery.planned_checkins("patient-b")) == 1
    stores.close()

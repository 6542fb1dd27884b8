"""Personalised recovery actions on a throw-away database and a controlled clock."""
import asyncio
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from actions import database, recovery
from actions.recovery import (ActionDeleteMyData, ActionPainTrend, ActionRecordPain, ActionRecoveryConsent,
                              ActionSetSurgeryDate, ActionStartCheckins, ActionStopCheckins)
from actions.recovery_timeline import ActionAnswerRecoveryStage
from actions.red_flags import flags_matched
from bot.vocabulary import DIARY_FLAG

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=timezone.utc)
CONSENTED = {"recovery_consent": True}


@pytest.fixture(autouse=True)
def clock(monkeypatch, stores):
    """Each test moves this clock; the actions and the repository read it (on a throw-away database)."""
    moment = {"now": NOW}
    monkeypatch.setattr(recovery, "now", lambda: moment["now"])
    monkeypatch.setattr(database, "clinic_zone", lambda: ZoneInfo("America/New_York"))
    return moment


@pytest.fixture
def diary(stores, clock):
    stores.recovery._clock = lambda: clock["now"]
    return stores.recovery


def responses(dispatcher):
    return [message["response"] for message in dispatcher.messages]


def slots(events):
    return {event["name"]: event["value"] for event in events if event["event"] == "slot"}


def run(action, dispatcher, tracker, domain):
    return action.run(dispatcher, tracker, domain)


# --- surgery date and stage answers ---------------------------------------------------

@pytest.mark.parametrize("text, days, stage", [
    ("I had surgery the day before yesterday", 2, "utter_stage_first_days"),
    ("my op was 3 weeks ago", 21, "utter_stage_recovery_weeks"),
    ("surgery was on October 14", 49, "utter_stage_beyond_six_weeks"),
])
def test_the_date_gives_the_stage_answer(dispatcher, tracker_for, domain_dict, text, days, stage):
    events = run(ActionSetSurgeryDate(), dispatcher, tracker_for(text, "tell_surgery_date"), domain_dict)
    assert slots(events)["surgery_date"] == (NOW.date() - timedelta(days=days)).isoformat()
    assert dispatcher.messages[0]["response"] == stage
    if days <= 42:  # the six-week mark still ahead is named
        mark = NOW.date() - timedelta(days=days) + timedelta(days=42)
        assert dispatcher.messages[1] == {**dispatcher.messages[1], "response": "utter_six_week_mark",
                                          "six_week_date": f"{mark:%B} {mark.day}"}
    else:
        assert "utter_six_week_mark" not in responses(dispatcher)
    assert responses(dispatcher)[-1] == "utter_ask_recovery_consent"  # asked once, nothing stored yet


def test_stage_words_name_the_patients_time(dispatcher, tracker_for, domain_dict):
    run(ActionSetSurgeryDate(), dispatcher, tracker_for("3 weeks ago", "tell_surgery_date"), domain_dict)
    assert dispatcher.messages[0]["time_since_surgery"] == "3 weeks"


@pytest.mark.parametrize("text, problem", [
    ("3/4", "unclear"), ("next monday... no, tomorrow", "future"), ("February 30", "impossible")])
def test_an_unclear_date_gets_a_question_not_a_guess(dispatcher, tracker_for, domain_dict, text, problem):
    events = run(ActionSetSurgeryDate(), dispatcher, tracker_for(text, "tell_surgery_date"), domain_dict)
    assert events == [] and responses(dispatcher) == [f"utter_surgery_date_{problem}"]


@pytest.mark.parametrize("days, stage", [
    (2, "utter_stage_first_days"), (21, "utter_stage_recovery_weeks"), (49, "utter_stage_beyond_six_weeks")])
def test_is_this_normal_uses_the_remembered_date(dispatcher, tracker_for, domain_dict, days, stage):
    surgery = (NOW.date() - timedelta(days=days)).isoformat()
    tracker = tracker_for("is this normal?", "leg_pain_normal", slots={"surgery_date": surgery})
    run(ActionAnswerRecoveryStage(), dispatcher, tracker, domain_dict)
    assert dispatcher.messages[0]["response"] == stage


def test_medication_answer_adds_the_stage_and_the_mark(dispatcher, tracker_for, domain_dict):
    tracker = tracker_for("when can i stop my pain pills", "manage_medication",
                          slots={"surgery_date": "2026-11-18"})
    run(ActionAnswerRecoveryStage(), dispatcher, tracker, domain_dict)
    assert responses(dispatcher) == ["utter_manage_medication", "utter_stage_recovery_weeks", "utter_six_week_mark"]
    assert dispatcher.messages[2]["six_week_date"] == "December 30"


@pytest.mark.parametrize("intent, general", [("leg_pain_normal", ["utter_leg_pain_normal"]),
                                             ("duration_overview", ["utter_duration_overview"]),
                                             ("manage_medication", ["utter_manage_medication"])])
def test_without_a_date_the_general_answer_stays(diary, dispatcher, tracker_for, domain_dict, intent, general):
    events = run(ActionAnswerRecoveryStage(), dispatcher, tracker_for("is this normal", intent), domain_dict)
    assert responses(dispatcher) == general
    assert slots(events) == {"recovery_checked": True}  # looked for once this session, not every question


def test_a_returning_patient_in_a_new_session_hears_their_stage(diary, dispatcher, tracker_for, domain_dict):
    """A new session starts with empty slots: the saved date is read when a stage answer needs it."""
    diary.save_profile("test-patient", True, surgery_date=date(2026, 11, 11))
    tracker = tracker_for("is this normal?", "leg_pain_normal")
    events = run(ActionAnswerRecoveryStage(), dispatcher, tracker, domain_dict)
    assert responses(dispatcher) == ["utter_stage_recovery_weeks", "utter_six_week_mark"]
    assert dispatcher.messages[0]["time_since_surgery"] == "3 weeks"
    assert slots(events) == {"recovery_checked": True, "recovery_consent": True, "checkins": False,
                             "surgery_date": "2026-11-11"}
    # Someone who never consented hears the general answer, whatever is stored for others.
    dispatcher.messages.clear()
    run(ActionAnswerRecoveryStage(), dispatcher,
        tracker_for("is this normal?", "leg_pain_normal", sender_id="new-patient"), domain_dict)
    assert responses(dispatcher) == ["utter_leg_pain_normal"]


# --- the clinic's day ---------------------------------------------------------------------

def test_late_evening_at_the_clinic_is_still_the_clinics_day(clock, dispatcher, tracker_for, domain_dict):
    """23:30 in New York on day 9 after surgery is 04:30 UTC on day 10: still day 9 for the patient."""
    clock["now"] = datetime(2026, 12, 3, 4, 30, tzinfo=timezone.utc)  # 23:30 on December 2 in New York
    tracker = tracker_for("is this normal?", "leg_pain_normal", slots={"surgery_date": "2026-11-23"})
    run(ActionAnswerRecoveryStage(), dispatcher, tracker, domain_dict)
    assert dispatcher.messages[0]["time_since_surgery"] == "9 days"
    dispatcher.messages.clear()
    events = run(ActionSetSurgeryDate(), dispatcher, tracker_for("I had surgery yesterday", "tell_surgery_date"),
                 domain_dict)
    assert slots(events)["surgery_date"] == "2026-12-01"  # the clinic's yesterday, not UTC's


# --- consent ---------------------------------------------------------------------------

def test_consent_yes_saves_the_date_and_a_pending_score(diary, dispatcher, tracker_for, domain_dict):
    tracker = tracker_for("yes", "affirm", slots={"surgery_date": "2026-11-20", "recovery_consent_asked": True,
                                                  "pending_pain_score": 6.0})
    events = run(ActionRecoveryConsent(), dispatcher, tracker, domain_dict)
    assert slots(events)["recovery_consent"] is True
    assert diary.profile("test-patient").surgery_date == date(2026, 11, 20)
    assert [entry.score for entry in diary.scores("test-patient")] == [6]
    assert responses(dispatcher) == ["utter_recovery_saved"]


def test_consent_no_saves_nothing(diary, dispatcher, tracker_for, domain_dict):
    tracker = tracker_for("no", "deny", slots={"surgery_date": "2026-11-20", "recovery_consent_asked": True})
    events = run(ActionRecoveryConsent(), dispatcher, tracker, domain_dict)
    assert slots(events)["recovery_consent"] is False
    assert diary.profile("test-patient") is None
    assert responses(dispatcher) == ["utter_recovery_not_saved"]


def test_a_yes_to_nothing_asked_is_not_consent(diary, dispatcher, tracker_for, domain_dict):
    events = run(ActionRecoveryConsent(), dispatcher, tracker_for("yes", "affirm"), domain_dict)
    assert events == [] and diary.profile("test-patient") is None
    assert responses(dispatcher) == ["utter_help"]


# --- the pain diary and its escalation --------------------------------------------------

def record(diary, clock, text, dispatcher, tracker_for, domain_dict, hours=24):
    clock["now"] += timedelta(hours=hours)
    dispatcher.messages.clear()
    return slots(run(ActionRecordPain(), dispatcher, tracker_for(text, "record_pain", slots=CONSENTED), domain_dict))


def test_a_score_without_consent_is_not_stored_and_consent_is_asked(diary, dispatcher, tracker_for, domain_dict):
    events = run(ActionRecordPain(), dispatcher, tracker_for("pain 6/10", "record_pain"), domain_dict)
    assert slots(events) == {"recovery_checked": True, "pain_trend_alert": False, "pending_pain_score": 6,
                             "recovery_consent_asked": True}
    assert responses(dispatcher) == ["utter_pain_noted", "utter_ask_recovery_consent"]
    assert diary.scores("test-patient") == []


def test_improvement_then_a_jump_gets_the_urgent_advice(diary, clock, dispatcher, tracker_for, domain_dict):
    diary.save_profile("test-patient", True)
    for text in ("pain 7/10", "pain is 5", "my leg is 3/10 today"):
        assert record(diary, clock, text, dispatcher, tracker_for, domain_dict)["pain_trend_alert"] is False
        assert responses(dispatcher) == ["utter_pain_recorded"]
    assert record(diary, clock, "pain 6/10", dispatcher, tracker_for, domain_dict)["pain_trend_alert"] is True
    assert responses(dispatcher) == ["utter_pain_trend_jump"]
    assert [e.score for e in diary.scores("test-patient")] == [7, 5, 3, 6]


def test_a_small_rise_does_not_escalate(diary, clock, dispatcher, tracker_for, domain_dict):
    diary.save_profile("test-patient", True)
    for text in ("pain 7/10", "pain 4", "pain 6"):
        assert record(diary, clock, text, dispatcher, tracker_for, domain_dict)["pain_trend_alert"] is False


def test_severe_pain_that_persists_escalates_and_once_does_not(diary, clock, dispatcher, tracker_for, domain_dict):
    diary.save_profile("test-patient", True)
    assert record(diary, clock, "pain 9/10", dispatcher, tracker_for, domain_dict)["pain_trend_alert"] is False
    assert responses(dispatcher) == ["utter_pain_recorded", "utter_pain_severe"]
    assert record(diary, clock, "pain 9/10", dispatcher, tracker_for, domain_dict, hours=13)["pain_trend_alert"] is True
    assert responses(dispatcher) == ["utter_pain_trend_severe"]


def test_the_escalation_is_recorded_as_the_diary_flag(tracker_for):
    tracker = tracker_for("pain 9/10", "record_pain", slots={"pain_trend_alert": True})
    assert flags_matched(tracker, "urgent") == [DIARY_FLAG]
    later = tracker_for("yes", "affirm", slots={"pain_trend_alert": True})
    assert flags_matched(later, "urgent") == ["screening_urgent"]


def test_a_message_without_a_score_asks_for_one(diary, dispatcher, tracker_for, domain_dict):
    run(ActionRecordPain(), dispatcher, tracker_for("my pain is bad", "record_pain", slots=CONSENTED), domain_dict)
    assert responses(dispatcher) == ["utter_ask_pain_score"]


def test_the_score_buttons_send_scores_the_diary_reads(diary, dispatcher, tracker_for, domain_dict):
    """The buttons' payload is text, so it goes through the NLU and the red-flag detector like typed
    words ("pain 9/10" is an urgent sign there) and is recorded like any score."""
    diary.save_profile("test-patient", True)
    buttons = domain_dict["responses"]["utter_checkin"][0]["buttons"]
    assert [b["title"] for b in buttons] == [str(n) for n in range(11)]
    for button in buttons:
        run(ActionRecordPain(), dispatcher, tracker_for(button["payload"], "record_pain", slots=CONSENTED),
            domain_dict)
    assert [e.score for e in diary.scores("test-patient")] == list(range(11))


def test_storage_down_still_answers_and_never_reassures(monkeypatch, dispatcher, tracker_for, domain_dict):
    monkeypatch.setattr(database, "stores", lambda: (_ for _ in ()).throw(RuntimeError("down")))
    run(ActionRecordPain(), dispatcher, tracker_for("pain 9/10", "record_pain", slots=CONSENTED), domain_dict)
    assert responses(dispatcher) == ["utter_pain_not_saved", "utter_pain_severe"]


def test_how_am_i_doing_tells_the_trend(diary, clock, dispatcher, tracker_for, domain_dict):
    diary.save_profile("test-patient", True)
    for score in (7, 5, 4):
        clock["now"] += timedelta(days=1)
        diary.add_score("test-patient", score)
    run(ActionPainTrend(), dispatcher, tracker_for("how am i doing", "pain_trend", slots=CONSENTED), domain_dict)
    [message] = dispatcher.messages
    assert (message["response"], message["pain_scores"]) == ("utter_pain_trend_better", "7, 5, 4")
    assert not message.get("custom")  # a text channel: words only


def test_the_web_widget_also_gets_a_chart(diary, dispatcher, tracker_for, domain_dict):
    diary.save_profile("test-patient", True)
    diary.add_score("test-patient", 5)
    tracker = tracker_for("how am i doing", "pain_trend", slots=CONSENTED, channel="socketio")
    run(ActionPainTrend(), dispatcher, tracker, domain_dict)
    assert dispatcher.messages[0]["custom"]["pain_chart_svg"].startswith("<svg")


# --- check-ins ---------------------------------------------------------------------------

def test_checkins_are_planned_in_the_database_at_the_clinics_morning(diary, dispatcher, tracker_for, domain_dict):
    tracker = tracker_for("check in on me", "checkins_start", slots={**CONSENTED, "surgery_date": "2026-11-25"})
    diary.save_profile("test-patient", True)
    events = run(ActionStartCheckins(), dispatcher, tracker, domain_dict)
    # 10:00 in New York (the default CLINIC_TIMEZONE) is 15:00 UTC in winter; day 3 has passed.
    assert [(day, due.isoformat()) for day, due, _ in diary.planned_checkins("test-patient")] == [
        (14, "2026-12-09T15:00:00+00:00"), (42, "2027-01-06T15:00:00+00:00")]
    # Also Rasa reminders, which send on the channel the patient asked on while the server runs.
    reminders = [(e["name"][:15], e["date_time"], e["intent"]) for e in events if e["event"] == "reminder"]
    assert reminders == [("checkin_day_14_", "2026-12-09T10:00:00-05:00", "EXTERNAL_checkin"),
                         ("checkin_day_42_", "2027-01-06T10:00:00-05:00", "EXTERNAL_checkin")]
    assert dispatcher.messages[0]["checkin_dates"] == "December 9, January 6"
    assert diary.profile("test-patient").checkins is True


def test_checkin_names_differ_between_patients_and_hide_the_sender(diary, dispatcher, tracker_for, domain_dict):
    """Rasa's scheduler keys jobs by name across conversations: a shared name would replace
    another patient's check-in."""
    names = []
    for sender in ("whatsapp:+15551234567", "telegram:42"):
        diary.save_profile(sender, True)
        tracker = tracker_for("check in", "checkins_start", sender_id=sender,
                              slots={**CONSENTED, "surgery_date": "2026-11-25"})
        names.append({e["name"] for e in run(ActionStartCheckins(), dispatcher, tracker, domain_dict)
                      if e["event"] == "reminder"})
    assert len(names[0]) == 2 and not names[0] & names[1]
    assert not any("5551234567" in name for name in names[0])


def test_checkins_need_a_date_and_consent(diary, dispatcher, tracker_for, domain_dict):
    events = run(ActionStartCheckins(), dispatcher, tracker_for("check in", "checkins_start"), domain_dict)
    assert events == [{**events[0], "name": "recovery_checked", "value": True}]
    assert responses(dispatcher) == ["utter_checkins_need_date"]
    dispatcher.messages.clear()
    events = run(ActionStartCheckins(), dispatcher,
                 tracker_for("check in", "checkins_start", slots={"surgery_date": "2026-11-25"}), domain_dict)
    assert not [e for e in events if e["event"] == "reminder"]
    assert responses(dispatcher) == ["utter_ask_recovery_consent"]


def test_one_word_stops_every_checkin(diary, dispatcher, tracker_for, domain_dict):
    diary.save_profile("test-patient", True, checkins=True)
    diary.plan_checkins("test-patient", [(14, NOW + timedelta(days=7)), (42, NOW + timedelta(days=35))])
    events = run(ActionStopCheckins(), dispatcher, tracker_for("unsubscribe", "checkins_stop"), domain_dict)
    assert diary.planned_checkins("test-patient") == [] and diary.profile("test-patient").checkins is False
    assert slots(events) == {"checkins": False}
    assert [e["intent"] for e in events if e["event"] == "cancel_reminder"] == ["EXTERNAL_checkin"]
    assert responses(dispatcher) == ["utter_checkins_stopped"]


# --- delete my data -----------------------------------------------------------------------

def test_delete_my_data_removes_everything_and_stops_checkins(diary, dispatcher, tracker_for, domain_dict):
    diary.save_profile("test-patient", True, surgery_date=date(2026, 11, 20), checkins=True)
    diary.plan_checkins("test-patient", [(14, NOW + timedelta(days=2))])
    diary.add_score("test-patient", 5)
    diary.save_profile("someone-else", True)
    events = asyncio.run(ActionDeleteMyData().run(dispatcher, tracker_for("delete my data", "delete_my_data"),
                                                  domain_dict))
    assert diary.profile("test-patient") is None and diary.scores("test-patient") == []
    assert diary.planned_checkins("test-patient") == []
    assert diary.profile("someone-else") is not None
    assert slots(events)["surgery_date"] is None and slots(events)["recovery_consent"] is None
    assert [e["intent"] for e in events if e["event"] == "cancel_reminder"] == ["EXTERNAL_checkin"]
    assert responses(dispatcher) == ["utter_data_deleted"]


def test_a_failed_deletion_says_so(monkeypatch, dispatcher, tracker_for, domain_dict):
    monkeypatch.setattr(database, "stores", lambda: (_ for _ in ()).throw(RuntimeError("down")))
    asyncio.run(ActionDeleteMyData().run(dispatcher, tracker_for("delete my data", "delete_my_data"), domain_dict))
    assert responses(dispatcher) == ["utter_data_delete_failed"]


def test_a_returning_patient_is_not_asked_again_and_gets_the_saved_date(diary, dispatcher, tracker_for,
                                                                       domain_dict):
    diary.save_profile("test-patient", True, surgery_date=date(2026, 11, 11))
    events = run(ActionRecordPain(), dispatcher, tracker_for("pain 4/10", "record_pain"), domain_dict)  # new session
    assert slots(events) == {"recovery_checked": True, "recovery_consent": True, "checkins": False,
                             "surgery_date": "2026-11-11", "pain_trend_alert": False}
    assert responses(dispatcher) == ["utter_pain_recorded"]
    assert [e.score for e in diary.scores("test-patient")] == [4]

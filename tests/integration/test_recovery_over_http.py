"""Personalised recovery with the real servers: the date, consent, the diary and its escalation,
a returning conversation, and "delete my data"."""
from __future__ import annotations

import pytest

pytestmark = [pytest.mark.servers, pytest.mark.model]


def test_date_consent_diary_trend_and_deletion(servers, capsys, monkeypatch):
    from bot.cli import main

    ask = servers.ask
    answer = ask("recovering", "I had my surgery 3 weeks ago")
    assert "You are 3 weeks after surgery" in answer and "Your 6-week mark is" in answer
    assert "remember your surgery date" in answer
    assert "I saved it" in ask("recovering", "yes")
    # With the date kept in the conversation, "is this normal?" names the stage.
    assert "You are 3 weeks after surgery" in ask("recovering", "is it normal that my leg still hurts?")

    for score in ("7", "5", "3"):
        assert f"I added {score} out of 10" in ask("recovering", f"my pain is {score}/10 today")
    jumped = ask("recovering", "my pain is 6/10 today")
    assert "had been getting better" in jumped and "call your surgeon's office" in jumped
    assert "Do you also have any of these right now?" in jumped

    monkeypatch.setenv("DATABASE_URL", servers.settings.database_url)
    assert main(["escalations", "--since", "1h"]) == 0
    assert "pain_diary_trend" in capsys.readouterr().out

    trend = ask("recovering", "how am I doing?")
    assert "7, 5, 3, 6" in trend and "higher than last time" in trend

    assert "Your surgery date and pain scores are gone" in ask("recovering", "delete my data")
    assert "Your pain diary is empty" in ask("recovering", "how am I doing?")


def test_nothing_is_kept_without_consent(servers):
    ask = servers.ask
    ask("private", "my operation was 10 days ago")
    assert "won't save anything" in ask("private", "no")
    answer = ask("private", "pain 4/10")
    assert "You told me your pain is 4 out of 10" in answer and "remember" not in answer
    assert "Your pain diary is empty" in ask("private", "how am I doing?")


def test_an_unclear_date_is_asked_again(servers):
    assert "which day you mean" in servers.ask("unclear", "my surgery was on 3/4")

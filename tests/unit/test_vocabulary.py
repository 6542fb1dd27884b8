"""The shared names in bot/vocabulary.py are the ones the domain, the rules and the catalogue use."""
import yaml

from bot.red_flags.catalogue import load_catalogue
from bot.settings import PROJECT_ROOT
from bot.vocabulary import (ADVICE_OF_TIER, DENIAL_INTENT, ESCALATION_TIERS, HEALING_INTENT, INTENT_OF_TIER,
                            QUESTION_INTENT, RED_FLAG_ENTITY, SCREENING_INTENT, tier_rank)

DOMAIN = yaml.load((PROJECT_ROOT / "domain.yml").read_text(), Loader=yaml.CSafeLoader)
RULES = (PROJECT_ROOT / "data" / "stories" / "rules" / "red_flags.yml").read_text()


def test_every_intent_named_in_the_vocabulary_is_in_the_domain():
    named = {*INTENT_OF_TIER.values(), SCREENING_INTENT, QUESTION_INTENT, DENIAL_INTENT, HEALING_INTENT}
    assert named <= set(DOMAIN["intents"])


def test_every_advice_is_a_domain_response_chosen_by_a_red_flag_rule():
    for response in ADVICE_OF_TIER.values():
        assert response in DOMAIN["responses"]
        assert response in RULES


def test_the_detector_entity_is_declared():
    assert RED_FLAG_ENTITY in DOMAIN["entities"]


def test_catalogue_tiers_are_escalation_tiers_in_rising_order():
    assert {flag.tier for flag in load_catalogue().flags} <= set(ESCALATION_TIERS)
    assert [tier_rank(t) for t in ESCALATION_TIERS] == sorted(tier_rank(t) for t in ESCALATION_TIERS)
    assert tier_rank("none") == 0 < tier_rank("urgent") < tier_rank("emergency")

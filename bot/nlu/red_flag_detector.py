"""Rasa adapter for the red-flag detector (bot/red_flags/): the safety net under the classifier.

Placed after the intent classifier and before FallbackClassifier. For every message it adds
one `red_flag` entity per sign found and, when the detector's tier is higher than the tier
of the classifier's intent, replaces the intent with the red-flag intent of that tier at
confidence 1.0. A sign the detector confirms never loses to a lower classifier tier.
Whenever a sign is found, the red-flag intent that stands is set to confidence 1.0 and leads
the ranking by a wide margin, so FallbackClassifier can never turn a confirmed sign into
"sorry, I didn't understand".

When only the classifier hears a red flag, it escalates on its own if it is confident and
the detector saw no sign at all. A bag of words cannot read "I have NO fever" or "what is
foot drop?", so the detector's reading may lower it, but never to reassurance on a doubt
(`read_unconfirmed`): the answer "no" (deny, which reassures) only when every sign mentioned
is clearly denied and no other part of the message is left unexplained; the warning-sign
answer when every sign is only asked about; the nerve-healing answer (which says when
numbness is a warning sign) for numbness the patient says is improving or unchanged; the
warning-sign answer, too, for signs told only as over when the rest of the message only says so
and the classifier is unsure; otherwise (past or resolved signs with a confident classifier, or
anything left unread) the screening questions. docs/SAFETY.md has the measurements.

A message that asks several things is read part by part too: a part the classifier reads as a
red flag (`red_flag_parts`, set by the intent classifier) gets the same reading as a whole
message would, within that part, and may raise the message's intent to its tier or to the
screening questions; it never lowers the message's intent (`_raise_for_parts`).

Last, the learned tier reader (bot/nlu/tier_reader.py, when it is in the pipeline) may raise a
message in which the detector found no sign words: the screening questions for an unsure
classifier red flag to the advice of its tier, and an ordinary answer to the emergency advice or
the screening questions, when it is sure enough (`_apply_tier_reading`).
"""
from __future__ import annotations

import dataclasses
import logging
import re
from typing import Any, Callable, Dict, List, Optional, Sequence, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import (
    ENTITIES, ENTITY_ATTRIBUTE_END, ENTITY_ATTRIBUTE_START, ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE, EXTRACTOR, INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY, TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.red_flags import Detection, RedFlagDetector as Detector, get_detector
from bot.red_flags.context import HEALING, HISTORICAL, HYPOTHETICAL, NEGATED, RESOLVED
from bot.red_flags.detector import NORMAL_TEMPERATURE, Hit
from bot.vocabulary import (DENIAL_INTENT, EMERGENCY, FALLBACK_INTENT, HEALING_INTENT, INTENT_OF_TIER, NONE,
                            QUESTION_INTENT, RAISED_BY_KEY, READING_KEY, RED_FLAG_ENTITY, RED_FLAG_PARTS_KEY,
                            REASSURING_INTENTS, SCREENING_INTENT, SCREENING_REPLIES, TIER_OF_INTENT, TIER_READER_FLAG,
                            TIER_READING_KEY, URGENT, is_red_flag_intent, tier_rank)

logger = logging.getLogger(__name__)
# Other intents keep their order but are scaled down, so an escalated intent always leads
# the ranking by at least this much and FallbackClassifier's ambiguity check never fires.
RANKING_MARGIN = 0.5


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class RedFlagDetector(GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # A classifier red flag with no sign words found escalates at or above this.
            "classifier_only_min_confidence": 0.75,
            # The learned tier reader (bot/nlu/tier_reader.py), when it is in the pipeline: below
            # that confidence, with no sign words found, its p(urgent) + p(emergency) from this on
            # escalates at its likelier tier. Chosen on held-out sets (docs/SAFETY.md, "A learned
            # tier reader").
            "tier_reader_min_sign": 0.9,
            # ... and over an ordinary answer (not a red flag, not the screening questions or a reply
            # to them) that the classifier gives below classifier_only_min_confidence, to a message
            # with no sign words found: the emergency advice from this p(emergency), else the
            # screening questions from this p(urgent) + p(emergency). None: off. Chosen on held-out
            # sets and the NLU and conversation gates (docs/SAFETY.md, "Over ordinary answers, with
            # a reader that knows them"); a question the classifier is sure of keeps its answer ("is
            # it ok for me and my partner to have sex now": care_sex 0.99, p(emergency) 0.86).
            "tier_reader_ordinary_emergency": 0.8,
            "tier_reader_ordinary_sign": 0.95,
            # FallbackClassifier's threshold (config.yml): below it the answer is the fallback, not
            # the classifier's intent, so an unsure reassuring intent reassures only from here up.
            "fallback_threshold": 0.25,
            # Small talk (a greeting, thanks, a goodbye, a "yes") answers a message the classifier hears so only
            # when the message has at most this many words or says it in that small talk's own words
            # (`small_talk_said`); otherwise the fallback (issue 13 round 30, docs/SAFETY.md). None: off.
            "small_talk_max_words": 8,
            # None: the project's data/red_flags.yml.
            "catalogue": None,
        }

    def __init__(self, config: Dict[Text, Any], detector: Detector) -> None:
        self._min_confidence = float(config["classifier_only_min_confidence"])
        self._reader_min_sign = float(config["tier_reader_min_sign"])
        self._ordinary_emergency = _threshold(config["tier_reader_ordinary_emergency"])
        self._ordinary_sign = _threshold(config["tier_reader_ordinary_sign"])
        self._fallback_threshold = float(config["fallback_threshold"])
        max_words = config.get("small_talk_max_words")
        self._small_talk_max_words = None if max_words is None else int(max_words)
        self._detector = detector

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "RedFlagDetector":
        # Built here, not per message: a broken catalogue must stop the bot from starting.
        return cls(config, get_detector(config.get("catalogue")))

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not isinstance(text, str) or not text.strip() or text.lstrip().startswith("/"):
                continue  # no text, or a button payload like /greet that sets its own intent
            detection = self._detector.detect(text)
            self._report_reading(message, detection)
            if detection.error:
                logger.error("red-flag detector failed, classifier intent kept: %s",
                             detection.error)
            self._add_entities(message, detection)
            if detection.tier == NONE:
                self._screen_unconfirmed(message, detection)
            else:
                self._escalate(message, detection)
            self._raise_for_parts(message, detection)
            self._small_talk_only_when_said(message, detection)
            self._apply_tier_reading(message, detection)
        return messages

    def _small_talk_only_when_said(self, message: Message, detection: Detection) -> None:
        """(issue 13 round 30, blind batch 45) A long message the classifier hears as small talk, in none
        of that small talk's words, was not understood: "Papa ne painkiller li thi, ab woh theek se jaag hi
        nahi rahe. ..." (the "hi" of "jaag hi nahi" heard as a greeting) was answered "Hi! I can answer
        questions ...", a sign in words no reader knows. Such a message gets the fallback, which says to call
        911 in an emergency and offers the symptom check (and asks a screening question again); the tier
        reader may still raise it, except from a reply to the screening ("yes"), which must never start it
        again. Small talk stands for a short message (`small_talk_max_words`) or one
        that says it ("Evening! Had a good day, walked twice ...", "... Thanks for your help",
        `small_talk_said`); only over the classifier's own small talk, when the detector found no sign."""
        if self._small_talk_max_words is None or detection.tier != NONE:
            return
        current = (message.get(INTENT) or {}).get(INTENT_NAME_KEY) or ""
        classifier = (message.get(READING_KEY) or {}).get("classifier") or ""
        text = message.get(TEXT) or ""
        if current not in SMALL_TALK_WORDS or current != classifier or \
                len(_WORD.findall(text)) <= self._small_talk_max_words or small_talk_said(current, text):
            return
        _put_on_top(message, FALLBACK_INTENT)
        logger.info("small talk %r to a long message in none of its words: the fallback", current)

    def _apply_tier_reading(self, message: Message, detection: Detection) -> None:
        """The learned tier reader may raise what the other two readers left unsure, only when the
        detector found no sign words at all (nothing denied, asked about or past either):
        - a classifier red flag below its threshold, so the screening questions stand: with
          p(urgent) + p(emergency) high enough, the reader's likelier tier is the advice;
        - an ordinary answer (not the screening questions or a reply to them, `SCREENING_REPLIES`,
          so "no" or "end this" never starts them again): the emergency advice from
          p(emergency) >= `tier_reader_ordinary_emergency`, else the screening questions from
          p(sign) >= `tier_reader_ordinary_sign`, while the classifier is unsure of its answer.
        It never lowers a red flag. (Over a reassuring answer with lower thresholds it was measured
        and not kept: docs/SAFETY.md.)
        """
        probabilities = message.get(TIER_READING_KEY)
        current = (message.get(INTENT) or {}).get(INTENT_NAME_KEY) or ""
        if not probabilities or is_red_flag_intent(current) or detection.tier != NONE or detection.negated:
            return
        reading = message.get(READING_KEY) or {}
        classifier = reading.get("classifier") or ""
        confidence = float(reading.get("classifier_confidence") or 0.0)
        p_urgent, p_emergency = float(probabilities[URGENT]), float(probabilities[EMERGENCY])
        name = None
        if current == SCREENING_INTENT:
            if is_red_flag_intent(classifier) and confidence < self._min_confidence \
                    and p_urgent + p_emergency >= self._reader_min_sign:
                name = INTENT_OF_TIER[EMERGENCY if p_emergency >= p_urgent else URGENT]
        elif current not in SCREENING_REPLIES and confidence < self._min_confidence and \
                not (current == FALLBACK_INTENT and classifier in SCREENING_REPLIES):
            # (a long "yes" in none of its words gets the fallback, `_small_talk_only_when_said`: still a
            # reply to the screening, which asks its question again, never starts it again)
            if p_emergency >= self._ordinary_emergency:
                name = INTENT_OF_TIER[EMERGENCY]
            elif p_urgent + p_emergency >= self._ordinary_sign:
                name = SCREENING_INTENT
        if name is None:
            return
        _put_on_top(message, name)
        # Kept in the reading, so the escalation record and staff say who raised it.
        message.set(READING_KEY, {**reading, RAISED_BY_KEY: TIER_READER_FLAG}, add_to_output=True)
        logger.info("tier reader raised %r to %r (p %.2f / %.2f)", current, name, p_urgent, p_emergency)

    def _raise_for_parts(self, message: Message, detection: Detection) -> None:
        """Parts of a several-question message that the classifier reads as a red flag, each read
        like a whole message (`read_part`): the strongest reading raises the message's intent."""
        parts = message.get(RED_FLAG_PARTS_KEY) or []
        readings = [read_part(message.get(TEXT), part, detection, self._min_confidence,
                              detect_part=self._detector.detect) for part in parts]
        escalations = [r for r in readings if is_red_flag_intent(r)]
        current = (message.get(INTENT) or {}).get(INTENT_NAME_KEY) or ""
        if escalations:
            strongest = max(escalations, key=lambda name: tier_rank(TIER_OF_INTENT[name]))
            if tier_rank(TIER_OF_INTENT[strongest]) > tier_rank(TIER_OF_INTENT.get(current, NONE)):
                _put_on_top(message, strongest)
                logger.info("a part of the message raised %r to %r", current, strongest)
                return
        if SCREENING_INTENT in readings and not is_red_flag_intent(current) and current != SCREENING_INTENT:
            _put_on_top(message, SCREENING_INTENT)
            logger.info("a part of the message raised %r to the screening", current)

    @staticmethod
    def _report_reading(message: Message, detection: Detection) -> None:
        """Both readers' views, before either changes the intent, for the review inbox: a red flag
        heard by only one of them is a message staff must see (bot/inbox/collect.py)."""
        intent = message.get(INTENT) or {}
        message.set(READING_KEY, {
            "classifier": intent.get(INTENT_NAME_KEY),
            "classifier_confidence": float(intent.get(PREDICTED_CONFIDENCE_KEY) or 0.0),
            "detector": detection.tier,
            "flags": list(detection.flags),
        }, add_to_output=True)

    def _screen_unconfirmed(self, message: Message, detection: Detection) -> None:
        """A classifier red flag the detector did not confirm: escalate only when it is sure."""
        intent = message.get(INTENT) or {}
        name = intent.get(INTENT_NAME_KEY) or ""
        confidence = float(intent.get(PREDICTED_CONFIDENCE_KEY) or 0.0)
        if name not in TIER_OF_INTENT:
            if self._screen_unsure_reassurance(message, detection, name, confidence):
                return
            self._answer_sign_question(message, detection, name, confidence)
            return
        replacement = read_unconfirmed(message.get(TEXT), detection.negated,
                                       confident=confidence >= self._min_confidence)
        if replacement is None:
            return
        top = {INTENT_NAME_KEY: replacement, PREDICTED_CONFIDENCE_KEY: 1.0}
        ranking = [dict(top)] + [dict(r) for r in message.get(INTENT_RANKING_KEY) or []
                                 if r.get(INTENT_NAME_KEY) != replacement]
        message.set(INTENT, top, add_to_output=True)
        message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        logger.info("unconfirmed %r (%.2f) read as %r", name, confidence, replacement)

    def _screen_unsure_reassurance(self, message: Message, detection: Detection, name: str,
                                   confidence: float) -> bool:
        """A reassuring answer ("some leg pain is common", the recovery time; not `deny`, which also
        answers the screening) that the classifier is unsure of, to a message that asks nothing: the
        reassurance answers a question nobody asked, and a story of pain or symptoms it was guessed
        from may tell a sign in words no reader knows (issue 13 round 8: "my feet have lots of pins
        an needles now", "that set off a chain of events ... a lot of pain"). The screening
        questions instead, which name every sign; never reassurance on an unsure reading. Sign words
        the detector read (asked about, past, healing) are `_answer_sign_question`'s; below the
        fallback threshold the answer is the fallback, no reassurance, and stays. A question asks
        something, but one beside a change the patient has just noticed ("is it normal for one calf
        to be bigger and sore? noticed it tonight"; issue 13 round 12) is a story of a new symptom
        all the same: "is it normal" is no reason to guess it is (`tells_new_change`)."""
        text = message.get(TEXT)
        if name not in REASSURING_INTENTS or name == DENIAL_INTENT or confidence >= self._min_confidence \
                or confidence < self._fallback_threshold or detection.negated or \
                (asks_something(text) and not tells_new_change(text)):
            return False
        _put_on_top(message, SCREENING_INTENT)
        logger.info("unsure %r (%.2f) to a message that asks nothing: the screening", name, confidence)
        return True

    def _answer_sign_question(self, message: Message, detection: Detection, name: str, confidence: float) -> None:
        """A question about a warning sign ("what does foot drop mean?") that the classifier is
        unsure of gets the warning-sign answer, which covers every sign, never a guess such as
        "some leg pain after it is common"."""
        hits = detection.negated
        if name in REASSURING_INTENTS and name != DENIAL_INTENT and \
                any(hit.status not in CLEARLY_DENIED for hit in hits):
            # Sign words read as asked about, over, healing or explained, under a reassuring
            # answer ("some leg pain is common"): never reassurance on a possible sign (issue 13
            # round 5: "Is it normal to feel numbness ...?"), but the answer that says when it is a
            # warning sign: the nerve-healing answer for numbness, else the warning-sign answer,
            # which names every sign and when to call (not the screening questions: measured, they
            # would question 11 more benign studied messages and catch no sign). `deny` is left
            # alone: it is also the answer to a screening question.
            reading = HEALING_INTENT if any(hit.status == HEALING for hit in hits) else QUESTION_INTENT
            _put_on_top(message, reading)
            logger.info("%r (%.2f) over sign words read as %r", name, confidence, reading)
            return
        if name == QUESTION_INTENT or confidence >= self._min_confidence or \
                not any(hit.status == HYPOTHETICAL for hit in hits):
            return
        if read_unconfirmed(message.get(TEXT), hits, confident=True) == QUESTION_INTENT:
            _put_on_top(message, QUESTION_INTENT)
            logger.info("%r (%.2f) about a warning sign read as %r", name, confidence, QUESTION_INTENT)

    @staticmethod
    def _add_entities(message: Message, detection: Detection) -> None:
        """One `red_flag` entity per affirmed sign, never two over the same words: Rasa's
        entity evaluation (`rasa test`) fails on overlapping entities, and words two flags both
        match ("numb down there") are one sign, read at its most serious (the hits come highest
        tier first), which is the one recorded."""
        if not detection.affirmed:
            return
        entities = list(message.get(ENTITIES) or [])
        kept: List[Hit] = []
        for hit in detection.affirmed:
            if any(hit.start < other.end and other.start < hit.end for other in kept):
                continue
            kept.append(hit)
            entities.append({
                ENTITY_ATTRIBUTE_TYPE: RED_FLAG_ENTITY,
                ENTITY_ATTRIBUTE_VALUE: hit.flag,
                ENTITY_ATTRIBUTE_START: hit.start,
                ENTITY_ATTRIBUTE_END: hit.end,
                "confidence_entity": 1.0,
                EXTRACTOR: "RedFlagDetector",
            })
        message.set(ENTITIES, entities, add_to_output=True)

    def _escalate(self, message: Message, detection: Detection) -> None:
        intent = message.get(INTENT) or {}
        current: Optional[str] = intent.get(INTENT_NAME_KEY)
        classifier_tier = TIER_OF_INTENT.get(current or "", NONE)
        # The higher tier wins; the classifier's red-flag intent is kept when it is higher.
        if tier_rank(classifier_tier) > tier_rank(detection.tier):
            name = current or ""
        else:
            name = INTENT_OF_TIER[detection.tier]
        _put_on_top(message, name)
        if name != current:
            logger.info("red-flag detector escalated %r to %r (%s)", current, name,
                        ", ".join(detection.flags))


# The words that say each kind of small talk (`small_talk_said`): a greeting opens the message ("jaag hi
# nahi" holds no greeting); thanks, a goodbye or a "yes" may stand anywhere in it.
SMALL_TALK_WORDS: Dict[str, "re.Pattern[str]"] = {
    "greet": re.compile(r"^\W*(?:hi+|hiya|hey+|hello+|hallo|hola|howdy|sup|g'?day|greetings|namaste|salaam|"
                        r"good (?:morning|afternoon|evening|day)|(?:morning|afternoon|evening)(?=\s*[!,.])|gm)\b",
                        re.IGNORECASE),
    "thank": re.compile(r"\b(?:thanks?|thank ?you|thankyou|thx|ty|tysm|cheers|ta|appreciate[ds]?|grateful|"
                        r"merci|gracias|shukriya|dhanyavaad|dhanyavad)\b", re.IGNORECASE),
    "goodbye": re.compile(r"\b(?:bye+|goodbye|good ?night|nite|cya|see (?:you|ya)|cheerio|ta ?ta|talk soon|"
                          r"later|ttyl|take care|(?:have|got) to go|gotta go|i'?m off|signing off|offline)\b",
                          re.IGNORECASE),
    # (not "right", "ye", "ya" or "ji": "Right pair ki pindli suj gayi hai" names the right leg, and Hindi's
    # "ye" is "this", "ya" is "or", "ji" is polite)
    "affirm": re.compile(r"\b(?:yes+|yeah?|yep|yup|yea|aye|sure|ok(?:ay)?|correct|that'?s right|exactly|indeed|"
                         r"absolutely|definitely|certainly|of course|haan)\b", re.IGNORECASE),
}


def small_talk_said(intent: str, text: str) -> bool:
    """Whether the message says the small talk `intent` in its own words (`SMALL_TALK_WORDS`)."""
    words = SMALL_TALK_WORDS.get(intent)
    return bool(words and words.search(text))


def _threshold(value: Any) -> float:
    """A probability threshold from the config; None (off) is one no probability reaches."""
    return 1.01 if value is None else float(value)


def _put_on_top(message: Message, name: str) -> None:
    """`name` becomes the intent at confidence 1.0; the others keep their order, scaled down by
    RANKING_MARGIN, so FallbackClassifier never overrules it."""
    ranking = [dict(r) for r in message.get(INTENT_RANKING_KEY) or [] if r.get(INTENT_NAME_KEY) != name]
    for entry in ranking:
        entry[PREDICTED_CONFIDENCE_KEY] = float(entry.get(PREDICTED_CONFIDENCE_KEY) or 0.0) * RANKING_MARGIN
    top = {INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: 1.0}
    message.set(INTENT, top, add_to_output=True)
    message.set(INTENT_RANKING_KEY, [dict(top)] + ranking, add_to_output=True)


def read_part(text: str, part: Dict[str, Any], detection: Detection, min_confidence: float,
              detect_part: Callable[[str], Detection]) -> str:
    """What a part the classifier reads as a red flag (`part`: start, end, intent, confidence)
    asks for: its red-flag intent, or what `read_unconfirmed` makes of it within the part.

    A sign the detector affirmed inside the part confirms it (the classifier's tier stands when
    higher, as for a whole message); signs found but not affirmed are read as in a whole message,
    so "no fever" in the part may make it a denial, and then it raises nothing.
    """
    start, end, intent = int(part["start"]), int(part["end"]), str(part["intent"])
    if any(hit.start < end and hit.end > start for hit in detection.affirmed):
        return intent
    words = text[start:end]
    hits = [dataclasses.replace(hit, start=hit.start - start, end=hit.end - start)
            for hit in detection.negated if hit.start < end and hit.end > start]
    if not hits and any(hit.status in PAST_READINGS for hit in detection.negated) and _OVER_START.search(words):
        # A part with no sign words that opens by saying a sign told elsewhere in the message is
        # over ("I had some erection trouble years ago ... Nothing like that since the surgery,
        # just mentioning it"; issue 13 round 7): it raises nothing, the message's own reading
        # stands (the warning-sign answer does not raise)
        return QUESTION_INTENT
    if not hits:
        alone = detect_part(words)
        if not alone.affirmed:
            if not alone.negated and _DENIES_ONE_SINCE.search(words):
                # A part with no sign words that only says the thing told before it ("one", "any",
                # "anything like that") has not been had since the operation: "I get migraines maybe
                # twice a year ... I haven't had one since the surgery" (issue 13 round 15, blind
                # batch 21 U5); it raises nothing, the message's own reading stands
                return QUESTION_INTENT
            if any(hit.status in PAST_READINGS | {HEALING} for hit in detection.negated) and \
                    _since_operation_well(words):
                # A part with no sign words (nor any affirmed when it is read alone) that ends by
                # saying all has been well since the operation, or that nothing has been had since,
                # after a sign told elsewhere as before it or over ("About six years ago ... both legs
                # went numb ..., and since the operation both legs have felt normal", "... it
                # recovered fully long before the op. Since the microdiscectomy both feet lift
                # normally", "... Since the back op I've had no headaches or neck problems at all";
                # issue 13 round 13): it raises nothing, as a part saying the sign is over does not
                return QUESTION_INTENT
            # The message's reading keeps one hit a sign, so a part may hold sign words of a sign
            # told elsewhere too ("I fainted once as a teenager ... Haven't fainted since the
            # surgery"; issue 13 round 10): the part is read alone, and its words read as denied,
            # asked about or past count as they would in a whole message. A sign affirmed only when
            # the part is read alone changes nothing: the message's own reading, with all its
            # context, stands.
            if not alone.negated and only_well(words):
                # (issue 13 round 33b, benign set 12) a part that only says all is well, with no sign words at all:
                # "My lips and throat are fine and I am breathing well" raises nothing, the message's own reading
                # stands
                return QUESTION_INTENT
            hits = list(alone.negated)
    confident = float(part.get("confidence") or 0.0) >= min_confidence
    return read_unconfirmed(words, hits, confident=confident) or intent


# Where a message splits into parts that can each carry a sign of their own.
_CLAUSE_BREAK = re.compile(r"[.!?;,:\n]+|\b(?:but|and|just|only|apart from|except|though|although|"
                           r"however|also|plus|then|now)\b", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]{2,}")
# A part that only says all is well ("the wound looks fine") explains itself.
# So does one that only says it keeps improving ("and keeps getting better every day").
_ALL_WELL = re.compile(r"\b(?:fine|ok|okay|good|great|normal|clean|dry|healing (?:well|nicely)|no problems?|"
                       r"(?:getting|a bit|a little|much|a lot) better(?: (?:every|each) (?:day|week))?|"
                       r"(?:less|better) (?:every|each) (?:day|week))\b[\s.!]*$", re.IGNORECASE)
CLEARLY_DENIED = {NEGATED, NORMAL_TEMPERATURE}
# A part that says a sign is over ("none since", "all gone now", "it settled the next day") or that
# the patient is back to normal: read only for a sign the detector reads as past or resolved.
_OVER = re.compile(r"\b(?:(?:all |completely |totally )?gone(?: now| since)?|none since|nothing since|"
                   r"(?:has ?n[o']t|have ?n[o']t|never) (?:happened|come back|came back)(?: once| again)?(?: since)?|"
                   r"(?:it |that )?(?:settled|cleared|stopped|eased|went)(?: up| down| off| away)?(?: completely| "
                   r"(?:by|within|after|in|the) [a-z0-9 ]{1,20})?|back on track|back to normal|"
                   r"(?:been|felt|feel|am|i'm|im) (?:\w+ )?(?:fine|normal|ok|okay|good|great|alert|well|dry|clean)"
                   r"(?: \w+)?(?: (?:ever )?since(?: then)?)?|"
                   r"(?:fine|normal|ok|okay) (?:now|since|ever since)|(?:walk|walking|pee|peeing|wee|weeing) normally|"
                   # (issue 13 round 7) nearly over: "... is fading every day, today I barely noticed it"
                   r"(?:barely|hardly|rarely) (?:notice|noticed|feel|felt)(?: it| them| anything)?(?: (?:today|now))?)"
                   r"\b[\s.!]*$", re.IGNORECASE)
# A part's last clause from "since the operation" on, saying only that all is well ("since the op
# both legs have felt normal") or that nothing has been had since ("Since the back op I've had no
# headaches or neck problems at all"), with nothing else told after "but", "except", "only", "just".
# The patient's (or a relative's) operation, and the opening of a part told by its writer or the person
# written for, for the denials below ("I've", "he has", or none).
# (issue 13 round 33b, blind batch 51 E1 past look-alike) "this" too: "Since this back surgery my bladder and bowels are
# in perfect order"
_THE_OPERATION = r"(?:the|my|his|her|this) (?:back )?(?:op|operation|surgery|microdiscectomy|discectomy|procedure)\b"
_SUBJECT = r"^\W*(?:(?:i|he|she|we)\s*(?:['’]?ve|['’]?s|have|has)?\s+)?"
_HAVE_NOT = r"(?:have ?n[o']t|has ?n[o']t|have not|has not|not|never)"
_SINCE_OPERATION = re.compile(r"\bsince " + _THE_OPERATION + r"(?P<rest>[^.!?;]*)[.!?;\s]*$", re.IGNORECASE)
_HAD_NONE = re.compile(r"^\W*(?:i['’]?ve |i have |he['’]?s |she['’]?s |he has |she has )?(?:had |felt |noticed )?"
                       r"(?:no|none|nothing)\b", re.IGNORECASE)
_MORE_TOLD = re.compile(r"\b(?:but|except|apart|only|just|until|till|now)\b", re.IGNORECASE)
_NOT_WELL = re.compile(r"\b(?:not|no|never|nothing|cannot|cant|without|worse|still)\b|n[’']t\b", re.IGNORECASE)
# (issue 13 round 33b, blind batches 51 E1 and 52 E5 past look-alikes) also "clear" and "in perfect order", and a
# blessing after it: "since the op both legs are completely clear", "... are in perfect order, by God's grace"
_WELL_END = re.compile(r"\b(?:fine|normal|ok|okay|good|great|normally|well|strong|perfect|"
                       r"(?:completely|all|totally|fully|are|is|been|feel|feels) clear|"
                       r"in (?:perfect|good|great|fine|full|normal|working) (?:order|shape|condition|working order))"
                       r"(?:,? (?:by god'?s grace|by the grace of god|thank god|thank goodness|thankfully|touch wood|"
                       r"praise god|praise the lord|alhamdulillah|mashallah))?[\s.!]*$", re.IGNORECASE)


# (issue 13 round 15, blind batch 21 E9) ... or a part that only denies, up to "since the operation",
# something told elsewhere, named by a word that refers back or a general one ("No reaction to
# anything since the surgery", "Haven't had any trouble like that since the op", "I have not had one
# since my operation"); never a thing of its own ("no wee since the operation" may be the sign).
_DENIED_SINCE = re.compile(_SUBJECT + r"(?:no|none|nothing|not once|" + _HAVE_NOT +
                           r"(?: (?:had|felt|noticed|seen|experienced|got|gotten))?)"
                           r"(?: (?:one|any|anything|it|that|this|those|them|more|again|once|at all|a|an|single|"
                           r"problems?|trouble|issues?|reactions?|episodes?|like (?:that|it|this)|of (?:that|those|"
                           r"them|it)|to anything|whatsoever|(?:any|a) (?:problems?|trouble|issues?|reactions?|"
                           r"episodes?)))*\s*$", re.IGNORECASE)


def _since_operation_well(part: str) -> bool:
    since = _SINCE_OPERATION.search(part)
    if not since:
        return False
    rest = since.group("rest")
    if _MORE_TOLD.search(rest):
        return False
    if not rest.strip() and _DENIED_SINCE.search(part[:since.start()]):
        return True
    return bool(_HAD_NONE.search(rest) or _NOT_ONE.search(rest) or
                (_WELL_END.search(rest) and not _NOT_WELL.search(rest)))


# (issue 13 round 33b, benign set 12) "Since the op, not one wobble", "not a single fall": one word after, ending the
# part
_NOT_ONE = re.compile(r"^\W*not (?:one|a single|once)(?: [a-z]+)?[\s.!]*$", re.IGNORECASE)


# (issue 13 round 33b, benign set 12) the clauses of a part that only says all is well
_WELL_CLAUSES = re.compile(r"[.!?;,:\n]+|\b(?:but|though|although|however|except|apart from|and)\b", re.IGNORECASE)


def only_well(part: str) -> bool:
    """Every clause of `part` ends by saying all is well (`_WELL_END`: "my throat is fine", "I am breathing well"),
    or is one or two words that a later one says so of ("My lips and throat are fine"), and nothing in it is
    negative or still (`_NOT_WELL`): "my tongue is swelling and I am breathing fine" is not."""
    if _NOT_WELL.search(part):
        return False
    clauses = [c for c in _WELL_CLAUSES.split(part) if _WORD.findall(c)]
    well = [bool(_WELL_END.search(c)) for c in clauses]
    return bool(clauses) and well[-1] and all(w or len(_WORD.findall(c)) <= 2
                                              for c, w in zip(clauses, well, strict=True))


# (issue 13 round 15, blind batch 21 U5) a part that only denies, since the operation, the thing told
# before it, named by a word that refers back: "I haven't had one since the surgery", "not had any
# since the op", "he hasn't had anything like that since his operation".
_DENIES_ONE_SINCE = re.compile(_SUBJECT + _HAVE_NOT + r" (?:had|felt|noticed|got|gotten) "
                               r"(?:one|any|it|them|those|that|a single one|anything like (?:that|it|this|those))"
                               r"(?: (?:at all|again|once))? since " + _THE_OPERATION + r"[\s.!]*$", re.IGNORECASE)
# Readings of a sign that is over: told before the operation, or resolved since.
PAST_READINGS = {HISTORICAL, RESOLVED}
# A part that opens by saying a sign told before it is over: "Nothing like that since the
# surgery", "none since", "never again since", "it hasn't happened since".
_OVER_START = re.compile(r"^\W*(?:nothing (?:like (?:that|it|this) )?(?:since|again)|(?:none|not once) since|"
                         # (issue 13 round 12, blind batch 14 E3) "I haven't had anything like that
                         # since the operation"
                         r"(?:i |he |she )?(?:have ?n[o']t|has ?n[o']t|'ve not|'s not|have not|has not|"
                         # (issue 13 round 13, blind batch 18 E8) "not had anything like it since"
                         r"(?:i'?ve |ive )?not|never) (?:had|felt|noticed) anything like (?:that|it|this)"
                         r"(?: since| again)?|"
                         r"never (?:again|since)|(?:it|that|this) (?:has ?n[o']t|has not|never) "
                         r"(?:happened|come back|came back)(?: again| since)?)\b", re.IGNORECASE)


def read_unconfirmed(text: str, hits: Sequence[Hit], confident: bool) -> Optional[str]:
    """The intent for a classifier red flag the detector did not affirm; None keeps the red flag.

    `hits` are the signs the detector found but did not affirm. Reassurance (deny) needs
    every one clearly denied and every part of the message accounted for by one of them:
    "no fever, just my groin feels numb" is not a denial, whatever the detector missed.
    """
    if not hits:
        return None if confident else SCREENING_INTENT
    unexplained = unexplained_parts(text, hits)
    if unexplained and all(hit.status in CLEARLY_DENIED | {HYPOTHETICAL} for hit in hits) and \
            any(hit.status == HYPOTHETICAL for hit in hits) and all(map(_is_question, unexplained)):
        # "What is foot drop and how would I notice it?": only questions about signs; the
        # warning-sign answer names every sign and when to call (issue 13 round 4)
        return QUESTION_INTENT
    if not confident and all(hit.status in CLEARLY_DENIED | PAST_READINGS | {HEALING} for hit in hits) and \
            any(hit.status in PAST_READINGS | {HEALING} for hit in hits) and \
            all(_OVER.search(part) for part in unexplained):
        # A sign told only as over ("I had chills the first night home, but none since"), nothing
        # else left unread and the classifier unsure: the warning-sign answer, which names every
        # sign and when to call, instead of questioning a patient who is better (never `deny`);
        # numbness improving, with the rest over ("... that's completely gone now"): nerve healing
        if any(hit.status in PAST_READINGS for hit in hits):
            return QUESTION_INTENT
        return HEALING_INTENT
    if unexplained:
        return SCREENING_INTENT
    if all(hit.status in CLEARLY_DENIED for hit in hits):
        return DENIAL_INTENT
    if all(hit.status in CLEARLY_DENIED | {HYPOTHETICAL} for hit in hits):
        return QUESTION_INTENT
    if all(hit.status in CLEARLY_DENIED | {HEALING} for hit in hits):
        return HEALING_INTENT  # the nerve-healing answer, which says when numbness is a warning sign
    return SCREENING_INTENT  # past, resolved, or a reading we are unsure of: ask


_QUESTION_START = re.compile(r"^\W*(?:what|how|why|when|which|is|are|does|do|can|could|would|will|should)\b",
                             re.IGNORECASE)


def _is_question(part: str) -> bool:
    return bool(_QUESTION_START.search(part)) or part.rstrip().endswith("?")


_ASKING_START = re.compile(r"^\W*(?:what|how|why|when|which|where|who|is|are|does|do|did|can|could|would|will|"
                           r"should|whens?|when's|whats|what's|hows|how's|anyone|any ?one)\b", re.IGNORECASE)


# (issue 13 round 12, blind batch 14 U6) a change just noticed or started, told beside a question:
# "noticed it tonight", "it started this morning", "woke up with it", "since last night".
_NEW_CHANGE = re.compile(r"\b(?:(?:just |only )?(?:noticed|spotted)(?: it| this| that| them)? "
                         r"(?:tonight|today|this (?:morning|afternoon|evening)|last night|yesterday)|"
                         r"(?:started|began|came on|appeared|showed up)(?: up)? "
                         r"(?:tonight|today|this (?:morning|afternoon|evening)|last night|yesterday)|"
                         r"woke up with|since (?:last night|this morning|yesterday)|"
                         # (issue 13 round 19, blind batch 25 E1 and U2, both answered "some leg pain is
                         # common") the learner's "from yesterday", "from 2 days", and "this is new"
                         r"from (?:last night|this morning|yesterday|today)|"
                         r"(?:from|since) (?:\d+|two|three|four|a couple of|a few) days|"
                         r"(?:this|it|that) is (?:all |very |completely |totally )?new(?! to| for| at| here)|"
                         r"(?:this|it|that)'s (?:all |very |completely |totally )?new(?! to| for| at| here))\b",
                         re.IGNORECASE)


def tells_new_change(text: str) -> bool:
    """Whether the message tells of something the patient has just noticed or that has just
    started (`_NEW_CHANGE`): a symptom story, even beside a question."""
    return bool(_NEW_CHANGE.search(text))


def asks_something(text: str) -> bool:
    """Whether any part of the message asks: a question mark, or a clause opening as a question
    ("day 4 and the pain is still there, is this what people usually get")."""
    return "?" in text or any(_ASKING_START.search(part) for part in _CLAUSE_BREAK.split(text))


def unexplained_parts(text: str, hits: Sequence[Hit]) -> List[str]:
    """Parts of the message (three words or more) that no hit falls in and that do not just
    say all is well."""
    parts, start = [], 0
    for match in [*_CLAUSE_BREAK.finditer(text), None]:
        end = match.start() if match else len(text)
        part = text[start:end]
        if len(_WORD.findall(part)) >= 3 and not _ALL_WELL.search(part) and \
                not any(hit.start < end and hit.end > start for hit in hits):
            parts.append(text[start:end].strip())
        start = match.end() if match else end
    return parts

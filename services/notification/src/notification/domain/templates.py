"""The texts of messages to relatives and to on-call staff, in Swedish, Finnish and English.

Rules every text keeps (tests check them):
- no health details, no identity numbers, no names of the person: a relative learns *when* the
  team comes and *whom to call*, nothing about why;
- the team's phone number and hours in every message to a relative;
- GSM-7 characters only (å, ä, ö are in it; dashes and quotes are plain ASCII), so a message
  costs what its length says.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from notification.domain.contacts import Language, TeamContact
from trygg_shared.vocabulary import notification as words
from trygg_shared.vocabulary import scheduling as scheduling_words

# The shared words (declared once, in trygg_shared.vocabulary), by their names in this domain.
MessageKind = words.MessageKind
AlertTopic = words.AlertTopic
MeetingPlace = scheduling_words.VisitLocation  # where the team meets the person, as scheduling plans it


@dataclass(frozen=True)
class Facts:
    """What a relative's message may say: times, places, numbers to call. Nothing else."""

    at: datetime | None = None  # local time of a visit or meeting
    day: date | None = None  # a day (start, handover, end)
    place: MeetingPlace | None = None
    call_phone: str | None = None  # whom to call after the handover
    new_time: bool = False  # a meeting the relative heard of at another time


MONTHS: dict[Language, tuple[str, ...]] = {
    Language.SV: ("jan", "feb", "mars", "april", "maj", "juni", "juli", "aug", "sep", "okt", "nov", "dec"),
    Language.EN: ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}
_WEEKDAYS: dict[Language, tuple[str, ...]] = {
    Language.SV: ("måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag"),
    Language.FI: ("maanantaina", "tiistaina", "keskiviikkona", "torstaina", "perjantaina", "lauantaina", "sunnuntaina"),
    Language.EN: ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
_PLACES: dict[Language, dict[MeetingPlace, str]] = {
    Language.SV: {
        MeetingPlace.HOME: "i hemmet",
        MeetingPlace.DIGITAL: "digitalt",
        MeetingPlace.PHONE: "per telefon",
        MeetingPlace.HOSPITAL: "på sjukhuset",
    },
    Language.FI: {
        MeetingPlace.HOME: "kotona",
        MeetingPlace.DIGITAL: "etäyhteydellä",
        MeetingPlace.PHONE: "puhelimitse",
        MeetingPlace.HOSPITAL: "sairaalassa",
    },
    Language.EN: {
        MeetingPlace.HOME: "at home",
        MeetingPlace.DIGITAL: "online",
        MeetingPlace.PHONE: "by phone",
        MeetingPlace.HOSPITAL: "at the hospital",
    },
}


def format_day(day: date, language: Language) -> str:
    """`tisdag 25 nov`, `tiistaina 25.11.`, `Tuesday 25 Nov`."""
    weekday = _WEEKDAYS[language][day.weekday()]
    if language is Language.FI:
        return f"{weekday} {day.day}.{day.month}."
    return f"{weekday} {day.day} {MONTHS[language][day.month - 1]}"


def format_time(at: datetime, language: Language) -> str:
    """`kl. 10:00`, `klo 10.00`, `at 10:00`."""
    if language is Language.FI:
        return f"klo {at:%H.%M}"
    if language is Language.SV:
        return f"kl. {at:%H:%M}"
    return f"at {at:%H:%M}"


def _when(facts: Facts, language: Language) -> str:
    assert facts.at is not None, "this message needs a time"
    return f"{format_day(facts.at.date(), language)} {format_time(facts.at, language)}"


def _day(facts: Facts, language: Language) -> str:
    day = facts.day or (facts.at.date() if facts.at else None)
    assert day is not None, "this message needs a day"
    return format_day(day, language)


_QUESTIONS: dict[Language, str] = {
    Language.SV: "Frågor: {name}, tel {phone}",
    Language.FI: "Kysymykset: {name}, puh. {phone}",
    Language.EN: "Questions: {name}, tel {phone}",
}


def _contact(contact: TeamContact, language: Language) -> str:
    hours = contact.hours_text(language)
    return _QUESTIONS[language].format(name=contact.name, phone=contact.phone) + (f" ({hours})." if hours else ".")


# A visit's message says what happens when ({when}) and where ({place}); a day's message names the
# day ({day}): support starts, is handed over, or ends.
_VISIT_TEXTS: dict[MessageKind, dict[Language, str]] = {
    MessageKind.HOMECOMING_SCHEDULED: {
        Language.SV: "Trygg hemgång-teamet möter din närstående i hemmet {when}.",
        Language.FI: "Trygg hemgång -tiimi tapaa läheisesi kotona {when}.",
        Language.EN: "The Trygg hemgång team will meet your relative at home on {when}.",
    },
    MessageKind.HOMECOMING_CHANGED: {
        Language.SV: "Ny tid: Trygg hemgång-teamet möter din närstående i hemmet {when}.",
        Language.FI: "Uusi aika: Trygg hemgång -tiimi tapaa läheisesi kotona {when}.",
        Language.EN: "New time: the Trygg hemgång team will meet your relative at home on {when}.",
    },
    MessageKind.FOLLOW_UP_MEETING: {
        Language.SV: "Uppföljningsmöte för Trygg hemgång {when} {place}. Din närstående kan vilja att du är med.",
        Language.FI: "Trygg hemgång -seurantakokous {when} {place}. Läheisesi voi toivoa, että olet mukana.",
        Language.EN: "Trygg hemgång follow-up meeting {when} {place}. Your relative may wish you to take part.",
    },
    MessageKind.HANDOVER_VISIT: {
        Language.SV: "Trygg hemgång-teamet och hemtjänsten gör ett gemensamt hembesök {when} inför överlämningen.",
        Language.FI: "Trygg hemgång -tiimi ja kotipalvelu tekevät yhteisen kotikäynnin {when} ennen siirtoa.",
        Language.EN: "The Trygg hemgång team and home care (hemtjänst) will make a joint home visit on {when}.",
    },
}
_DAY_TEXTS: dict[MessageKind, dict[Language, str]] = {
    MessageKind.SERVICE_STARTED: {
        Language.SV: "Trygg hemgång-teamet stöttar din närstående efter hemkomsten från {day}.",
        Language.FI: "Trygg hemgång -tiimi tukee läheistäsi kotiutumisen jälkeen {day} alkaen.",
        Language.EN: "The Trygg hemgång team will support your relative after the return home from {day}.",
    },
    MessageKind.HANDED_OVER: {
        Language.SV: "Från {day} har hemtjänsten tagit över stödet efter Trygg hemgång.",
        Language.FI: "{day} alkaen kotipalvelu (hemtjänst) on jatkanut Trygg hemgång -tukea.",
        Language.EN: "From {day} home care (hemtjänst) has taken over from Trygg hemgång.",
    },
    MessageKind.PERIOD_ENDED: {
        Language.SV: "Perioden med Trygg hemgång-teamet avslutades {day}. Tack!",
        Language.FI: "Trygg hemgång -tiimin tukijakso päättyi {day}. Kiitos!",
        Language.EN: "The period with the Trygg hemgång team ended on {day}. Thank you!",
    },
}
# The start text, when the homecoming visit's time is known: when the team meets the person at home.
_START_HOMECOMING: dict[Language, str] = {
    Language.SV: " Teamet möter din närstående i hemmet {when}.",
    Language.FI: " Tiimi tapaa läheisesi kotona {when}.",
    Language.EN: " The team will meet your relative at home on {when}.",
}
# A follow-up meeting or handover visit moved after the relative heard its time.
_NEW_TIME: dict[Language, str] = {Language.SV: "Ny tid: ", Language.FI: "Uusi aika: ", Language.EN: "New time: "}
# After the handover, when hemtjänst's number is known: whom to call about the visits.
_CALL_HEMTJANST: dict[Language, str] = {
    Language.SV: " Ring hemtjänsten på {call} vid frågor om besöken.",
    Language.FI: " Soita kotipalveluun numeroon {call}, jos sinulla on kysyttävää.",
    Language.EN: " Call home care on {call} with questions about visits.",
}


def _body(kind: MessageKind, facts: Facts, language: Language) -> str:
    if kind is MessageKind.ONCALL_ALERT:
        raise ValueError("on-call alerts use render_alert")
    if kind in _VISIT_TEXTS:
        place = _PLACES[language][facts.place or MeetingPlace.HOME]
        text = _VISIT_TEXTS[kind][language].format(when=_when(facts, language), place=place)
        return _NEW_TIME[language] + text if facts.new_time and kind is not MessageKind.HOMECOMING_CHANGED else text
    text = _DAY_TEXTS[kind][language].format(day=_day(facts, language))
    if kind is MessageKind.SERVICE_STARTED and facts.at is not None:
        text += _START_HOMECOMING[language].format(when=_when(facts, language))
    if kind is MessageKind.HANDED_OVER and facts.call_phone:
        text += _CALL_HEMTJANST[language].format(call=facts.call_phone)
    return text


def render(kind: MessageKind, facts: Facts, language: Language, contact: TeamContact) -> str:
    """The text of one message to a relative: what happens, then whom to call and when."""
    return f"{_body(kind, facts, language)} {_contact(contact, language)}"


@dataclass(frozen=True)
class AlertFacts:
    """What an on-call SMS may say: a case reference (not a name), a time, a team, counts."""

    case_ref: str | None = None  # the first 8 characters of the case id
    at: datetime | None = None  # local time: liability start, planned visit start
    team: str | None = None
    waiting: int | None = None
    limit: int | None = None  # the cap that was reached


_ALERT_SUMMARY: dict[Language, dict[AlertTopic, str]] = {
    Language.SV: {
        AlertTopic.LIABILITY_NO_DECISION: "Utskrivningsklar utan beslut, betalningsansvar från {at}",
        AlertTopic.VISIT_MISSED: "Missat besök {at}",
        AlertTopic.TEAM_AT_CAPACITY: "Teamet är fullt, {waiting} väntar",
        AlertTopic.READMITTED_DURING_PERIOD: "Återinskriven på sjukhus under Trygg hemgång",
        AlertTopic.SMS_FAILED: "Sms till anhörig gick inte fram, kontakta anhörig",
        AlertTopic.SMS_CAP_CASE: "Sms-gräns nådd, fler än {limit} anhöriga med samtycke, beslutet nekades",
        AlertTopic.SMS_CAP_OFFICER_DAY: "Sms-gräns nådd, handläggare över {limit} nya samtycken i dag, "
        "beslutet nekades",
        AlertTopic.HOMECOMING_CHECKLIST_OPEN: "Checklistan inför hemkomsten är inte klar, hembesök {at}",
        AlertTopic.SIP_DEADLINE_LAPSED: "Ingen SIP-kallelse, fristen gick ut {at}",
    },
    Language.FI: {
        AlertTopic.LIABILITY_NO_DECISION: "Kotiutettavissa ilman päätöstä, maksuvastuu alkaa {at}",
        AlertTopic.VISIT_MISSED: "Käynti jäi tekemättä {at}",
        AlertTopic.TEAM_AT_CAPACITY: "Tiimi on täynnä, {waiting} jonossa",
        AlertTopic.READMITTED_DURING_PERIOD: "Otettu uudelleen sairaalaan Trygg hemgång -jakson aikana",
        AlertTopic.SMS_FAILED: "Tekstiviesti omaiselle ei mennyt perille, ota yhteyttä omaiseen",
        AlertTopic.SMS_CAP_CASE: "Tekstiviestiraja täynnä, yli {limit} suostumuksen antanutta omaista, "
        "päätös hylättiin",
        AlertTopic.SMS_CAP_OFFICER_DAY: "Tekstiviestiraja täynnä, käsittelijällä yli {limit} uutta suostumusta tänään, "
        "päätös hylättiin",
        AlertTopic.HOMECOMING_CHECKLIST_OPEN: "Kotiutumisen tarkistuslista ei ole valmis, kotikäynti {at}",
        AlertTopic.SIP_DEADLINE_LAPSED: "Ei SIP-kutsua, määräaika päättyi {at}",
    },
    Language.EN: {
        AlertTopic.LIABILITY_NO_DECISION: "Ready for discharge without a decision, payment liability from {at}",
        AlertTopic.VISIT_MISSED: "Missed visit {at}",
        AlertTopic.TEAM_AT_CAPACITY: "Team is full, {waiting} waiting",
        AlertTopic.READMITTED_DURING_PERIOD: "Readmitted to hospital during Trygg hemgång",
        AlertTopic.SMS_FAILED: "A text to a relative failed, contact the relative",
        AlertTopic.SMS_CAP_CASE: "SMS cap reached, more than {limit} consenting relatives, the decision was refused",
        AlertTopic.SMS_CAP_OFFICER_DAY: "SMS cap reached, an officer passed {limit} new consents today, "
        "the decision was refused",
        AlertTopic.HOMECOMING_CHECKLIST_OPEN: "The homecoming checklist is not complete, home visit {at}",
        AlertTopic.SIP_DEADLINE_LAPSED: "No SIP invitation, the deadline passed {at}",
    },
}
_ALERT_WORDS: dict[Language, tuple[str, str, str, str]] = {
    # alert, case, team, acknowledge: reply ... or open ...
    Language.SV: ("LARM", "Ärende", "Team", "Kvittera: svara {code} eller öppna {link}"),
    Language.FI: ("HÄLYTYS", "Asia", "Tiimi", "Kuittaa: vastaa {code} tai avaa {link}"),
    Language.EN: ("ALERT", "Case", "Team", "Acknowledge: reply {code} or open {link}"),
}


# Where the on-call person reads the rest (who, where) after signing in to the console.
_DETAILS_WORDS: dict[Language, str] = {
    Language.SV: "Mer i konsolen: {link}",
    Language.FI: "Lisätiedot konsolissa: {link}",
    Language.EN: "More in the console: {link}",
}


def render_alert(
    topic: AlertTopic,
    facts: AlertFacts,
    language: Language,
    *,
    ack_code: str,
    ack_link: str,
    escalated: bool,
    details_link: str | None = None,
) -> str:
    """The SMS to an on-call person: what happened, which case, how to acknowledge, where to read more
    (the console's page for the case, after sign-in: the SMS names no one)."""
    alert, case, team, ack = _ALERT_WORDS[language]
    at = f"{format_day(facts.at.date(), language)} {format_time(facts.at, language)}" if facts.at else "-"
    summary = _ALERT_SUMMARY[language][topic].format(
        at=at,
        waiting=facts.waiting if facts.waiting is not None else "?",
        limit=facts.limit if facts.limit is not None else "?",
    )
    parts = [f"Trygg hemgång {alert}{' (eskalerat)' if escalated and language is Language.SV else ''}: {summary}."]
    if escalated and language is not Language.SV:
        parts[0] = parts[0].replace(
            f"{alert}:", f"{alert} ({'eskaloitu' if language is Language.FI else 'escalated'}):"
        )
    if facts.case_ref:
        parts.append(f"{case} {facts.case_ref}.")
    if facts.team:
        parts.append(f"{team} {facts.team}.")
    if details_link:
        parts.append(_DETAILS_WORDS[language].format(link=details_link) + ".")
    parts.append(ack.format(code=ack_code, link=ack_link))
    return " ".join(parts)

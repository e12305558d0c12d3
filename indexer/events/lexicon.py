"""The words an encounter is told with, per language, as regular expressions over folded
text (`indexer.folding.fold`: lower case, Cyrillic in Serbian Latin, no diacritics), so a
Serbian Cyrillic readout and its Latin twin read the same way ("разговарао" and
"razgovarao" are both "razgovarao").

Kept apart from the reading (`encounters.py`) so the vocabulary can grow without touching
the logic: every pattern here is matched against one sentence's words joined by spaces.
"""

from __future__ import annotations

import re

# Kinds of encounter, most specific first: a telephone call at a conference is a call, talks
# on the sidelines of a named conference are "sidelines", a meeting during a visit a visit.
KINDS = ("call", "sidelines", "visit", "talks", "meeting")


_WORD_START, _WORD_END = r"(?<![\w])(?:", r")(?![\w])"


def _words(*patterns: str) -> re.Pattern[str]:
    return re.compile(_WORD_START + "|".join(patterns) + _WORD_END)


def alternatives(pattern: re.Pattern[str]) -> str:
    """The words of a `_words` pattern, without its word boundaries."""
    return pattern.pattern[len(_WORD_START):-len(_WORD_END)]


# What reports an encounter: (pattern, kind, the other side comes after "with": how far).
# A verb of meeting may take its other side directly ("received Ambassador X", "примио
# амбасадора", "принял Посла"); talks and calls need "with" ("talks with", "разговарао
# са", "переговоры с"), or "Talks About the Outcomes" would be talks with someone.
TRIGGERS: dict[str, tuple[tuple[re.Pattern[str], str, bool, int], ...]] = {
    "en": (
        (_words(r"(?:tele)?phone (?:conversation|call|talks?)", r"video ?(?:call|conference)",
                r"calls?", r"called"), "call", True, 3),
        (_words(r"spoke", r"speaks?", r"talked"), "talks", True, 8),
        (_words(r"(?:held|hold|holds|holding|had|has|have) (?:\w+ ){0,3}?"
                r"(?:talks|conversation|consultations|discussions)",
                r"(?:held|had) (?:[\w-]+ ){0,2}?(?:communication|exchanges?)", r"talks",
                r"conversation"), "talks", True, 25),
        (_words(r"discussed", r"discusses"), "talks", True, 8),
        (_words(r"negotiations"), "talks", True, 8),
        (_words(r"convened", r"co ?chaired"), "talks", False, 0),
        (_words(r"met", r"meets?", r"meetings?", r"received", r"receives?", r"receiving",
                r"hosted", r"hosts", r"summoned"), "meeting", False, 25),
        # Only with a person right after it (`GREETING`): "welcomed Prime Minister Rama to
        # London", not "welcomed the work of the Special Representative, Miroslav Lajcak".
        (_words(r"welcomed", r"welcomes", r"greeted"), "meeting", False, 0),
    ),
    # Serbian, both scripts folded to Latin.
    "sr": (
        (_words(r"telefonsk\w*", r"telefonom", r"video ?(?:vez\w*|konferencij\w*|poziv\w*)",
                r"videopoziv\w*"), "call", True, 25),
        (_words(r"razgovara\w*", r"razgovor\w*", r"pregovor\w*", r"konsultacij\w*"), "talks",
         True, 25),
        (_words(r"sasta(?:o|la|li|le|ne|nu|ju|je)", r"sastan\w*", r"sastank\w*",
                r"susret\w*"), "meeting", True, 25),
        (_words(r"primi(?:o|la|li|le)", r"prima", r"primaju", r"primljen\w*",
                r"ugosti(?:o|la|li)"), "meeting", False, 25),
    ),
    "ru": (
        (_words(r"telefonn\w* razgovor\w*", r"telefonn\w* peregovor\w*",
                r"po telefonu", r"telefonn\w*", r"videokonferenc\w*"), "call", True, 25),
        (_words(r"peregovor\w*", r"razgovor\w*", r"besed\w*", r"konsul.tac\w*"), "talks",
         True, 25),
        (_words(r"vstreti\w*", r"vstreca\w*", r"vstrecu", r"vstrece", r"vstrecej"),
         "meeting", True, 25),
        (_words(r"prinja(?:l|la|li|t|ta|ty)(?! ucasti)", r"prinim\w*(?! ucasti)",
                r"vyzvan\w*"), "meeting", False, 25),
    ),
}

# The preposition before the other side: "met with", "sa Lavrovim", "с Дачичем"; and
# "between X and Y" (both sides after it).
WITH = {
    "en": frozenset({"with"}),
    "sr": frozenset({"sa", "s"}),
    "ru": frozenset({"s", "so"}),
}
BETWEEN = {
    "en": frozenset({"between"}),
    "sr": frozenset({"izmedju", "medju"}),
    "ru": frozenset({"mezdu"}),
}
# Joining two people on one side: "Selakovic and Lavrov meet", "X i Y", "X и Y".
AND = {
    "en": frozenset({"and"}),
    "sr": frozenset({"i"}),
    "ru": frozenset({"i"}),
}
# Right after a trigger only: "spoke to", "talked to", "was received by".
WITH_NEXT = {"en": frozenset({"to", "by"}), "sr": frozenset(), "ru": frozenset()}
# Words before a trigger that make it a meeting recalled from before ("his recent
# meeting", "since the meeting in San Francisco"), not the one reported.
RECALLED = {
    "en": frozenset({"since", "recent", "recently", "previous", "earlier", "last", "past",
                     "former"}),
    "sr": frozenset({"nedavn", "nedavnom", "nedavnog", "nedavni", "prethodn", "prethodnom",
                     "prethodnog", "ranij", "ranijem", "proslog", "proslom"}),
    "ru": frozenset({"nedavn", "nedavnej", "nedavnih", "predyduscej", "predyduscih", "posle",
                     "prosloj", "proslom"}),
}
# Anywhere in its sentence, what makes an encounter one recalled, not reported ("I would
# recall that during the talks of Lavrov and Djuric in Moscow last year", "Напомню",
# "прошле године").
RECALLED_SENTENCE = {
    "en": _words(r"recalled that", r"(?:we|i) (?:would )?recall", r"last year",
                 r"the previous year"),
    "sr": _words(r"podse(?:tio|tila|tili|camo|cam)", r"prosle godine", r"prosle nedelje",
                 r"prethodne godine"),
    "ru": _words(r"napomn\w*", r"v proslom godu", r"na prosloj nedele"),
}
# Words before a trigger that make its subject someone present, not a side ("took part in
# the talks", "participated in the meeting", "присутствовал на встрече").
PRESENT = {
    "en": frozenset({"participated", "attended", "part", "present", "joined"}),
    "sr": frozenset({"prisustvovao", "prisustvovala", "prisustvovali", "ucestvovao",
                     "ucestvovala", "ucestvovali", "ucesce", "prisustvu"}),
    "ru": frozenset({"ucastie", "ucastvoval", "ucastvovali", "prisutstvoval",
                     "prisutstvovali", "prisutstvii"}),
}
# A preposition of topic just before a trigger, not first in the sentence: the encounter is
# what someone spoke about ("informed him about the talks with"), not one reported here
# (a mid.ru title starts "О переговорах ...": that one is).
ABOUT = {"en": frozenset({"about"}), "sr": frozenset({"o"}),
         "ru": frozenset({"o", "ob", "obo"})}
# Words anywhere before a trigger in its sentence that make it a plan ("Lavrov will hold
# talks ... before meeting ...").
FUTURE = {
    "en": frozenset({"will", "shall"}),
    "sr": frozenset({"ce", "cu", "cemo", "cete"}),
    "ru": frozenset({"budet", "budut", "provedet", "provedut", "vstretitsja", "vstretjatsja",
                     "primet", "primut", "posetit", "sostoitsja", "sostojatsja"}),
}
# Words before a trigger that make it a plan, not a report ("will meet", "ће се састати",
# "состоится встреча", "invitation to visit").
NOT_YET = {
    "en": frozenset({"will", "would", "to", "shall", "planned", "expected", "upcoming",
                     "forthcoming", "next", "future"}),
    "sr": frozenset({"ce", "bi", "predstojec", "predstojeci", "predstojeceg",
                     "predstojecem", "planiran", "planirani", "buduc", "buduci"}),
    "ru": frozenset({"budet", "budut", "sostoitsja", "sostojatsja", "predstoit",
                     "predstojascej", "predstojascih", "predstojascie", "predstojascuju",
                     "planiruetsja", "planiruemoj", "ocerednoj", "buduscej", "provedet", "provedut",
                     "vstretitsja", "vstretjatsja", "primet", "primut", "posetit"}),
}
# Words that end the phrase naming a side: a relative clause, a topic, a new verb.
CLAUSE_END = {
    "en": frozenset({"who", "which", "whom", "whose", "that", "where", "when", "while",
                     "about", "regarding", "concerning", "during", "after",
                     "before", "since", "said", "stated", "told", "discussed",
                     "expressed", "informed", "noted", "stressed", "agreed", "thanked",
                     "reaffirmed", "reiterated", "underlined", "welcomed", "confirmed",
                     "conveyed"}),
    "sr": frozenset({"koji", "koja", "koje", "kojeg", "kojem", "kojim", "kojoj", "kome",
                     "ciji", "cija", "gde", "kada", "dok", "o", "povodom", "tokom", "nakon",
                     "posle", "pre", "rekao", "rekla", "istakao", "istakla", "izrazio",
                     "izrazila", "zahvalio", "zahvalila", "ocenio", "ocenila", "informisao",
                     "naglasio", "naglasila", "radi", "kako"}),
    "ru": frozenset({"kotoryj", "kotoraja", "kotoroe", "kotorye", "kotorogo", "kotoromu",
                     "kotorym", "kotoroj", "gde", "kogda", "o", "ob", "posle",
                     "otmetil", "zajavil", "podcerknul", "vyrazil", "nahodjascimsja",
                     "nahodjascejsja", "pribyvsim", "prebyvajuscim"}),
}
# Words that say the other side is a person even when the text does not name them ("with
# his Russian counterpart", "sa ministrom inostranih poslova Ruske Federacije", "с
# сербским коллегой"): prefixes, as folded.
ROLE_WORDS = {
    "en": ("minister", "counterpart", "secretary", "ambassador", "president", "premier",
           "chancellor", "envoy", "colleague", "head", "chair", "leader", "representative",
           "director", "deputy"),
    "sr": ("ministr", "koleg", "sekretar", "ambasador", "predsednik", "premijer", "kancelar",
           "izaslanik", "sef", "predsedavaj", "predstavni", "direktor", "zamenik"),
    "ru": ("ministr", "koleg", "gossekretar", "sekretar", "posl", "posol", "prezident",
           "premer", "kancler", "poslannik", "glav", "predsedatel", "predstavitel",
           "direktor", "zamestitel"),
}

# Verbs that report an encounter only when a person follows them at once, with nothing
# but a title between ("welcomed the Prime Minister of Albania, Edi Rama, to ..."): the
# same verbs welcome statements, decisions and progress.
GREETING: dict[str, re.Pattern[str] | None] = {
    "en": _words(r"welcomed", r"welcomes", r"greeted"), "sr": None, "ru": None}
# Words a title may hold between such a verb and the name (besides capitalised words).
TITLE_FILLERS: dict[str, frozenset[str]] = {
    "en": frozenset({"the", "his", "her", "their", "its", "of", "for", "and", "to",
                     "counterpart", "colleague"})}

# A sentence opening on a phrase that holds the trigger ("During his meeting with X, the
# Minister stressed ...", "At a meeting with X, Y discussed", "In a call with X, ..."):
# the subject comes after the phrase. Words allowed before the trigger in that phrase.
OPENING = {
    "en": frozenset({"during", "at", "in", "on", "following", "after", "his", "her", "their",
                     "its", "a", "an", "the", "today", "s", "bilateral", "separate",
                     "telephone", "phone", "video", "yesterday"}),
    "sr": frozenset({"tokom", "na", "u", "nakon", "posle", "prilikom", "danasnjem",
                     "jucerasnjem", "bilateralnom", "telefonskom"}),
    "ru": frozenset({"v", "vo", "na", "hode", "posle", "ramkah", "sostojavsejsja",
                     "sostojavsihsja", "telefonnom", "telefonnogo"}),
}
OPENING_FIRST = {"en": frozenset({"during", "at", "in", "on", "following", "after"}),
                 "sr": frozenset({"tokom", "na", "u", "nakon", "posle", "prilikom"}),
                 "ru": frozenset({"v", "vo", "na", "posle"})}
PRONOUNS = {"en": frozenset({"he", "she"}), "sr": frozenset({"on", "ona"}),
            "ru": frozenset({"on", "ona"})}

# The ministry's own head told by office alone: "the Foreign Secretary", "The Secretary",
# "the Minister", "министр". Each phrase (folded, words joined by spaces) with what the
# office holder's registry title must hold (every word, folded) to be the one meant.
OWN_OFFICES: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {"foreign secretary": ("foreign", "secretary"),
           "secretary of state": ("secretary", "state"),
           "secretary": ("secretary",),
           "foreign minister": ("minist", "foreign"),
           "minister of foreign affairs": ("minist", "foreign"),
           "minister for foreign affairs": ("minist", "foreign"),
           "minister": ("minist", "foreign")},
    "sr": {"ministar": ("minist", "foreign"),
           "ministar spoljnih poslova": ("minist", "foreign"),
           "sef diplomatije": ("minist", "foreign")},
    "ru": {"ministr": ("minist", "foreign"),
           "ministr inostrannyh del": ("minist", "foreign"),
           "glava mid": ("minist", "foreign")},
}
# Words an office phrase is made of (beyond these it is another office: "Minister for
# Europe", "Development Minister").
OFFICE_WORDS = frozenset(w for table in OWN_OFFICES.values() for phrase in table
                         for w in phrase.split())
# Offices a role word does not stand for alone: "the Cuban minister" is not its Prime
# Minister, "the Russian President" not its Vice President.
RANK_MODIFIERS = frozenset({"prime", "premer", "premijer", "deputy", "vice", "zamestitel",
                            "zamenik", "first", "pervyj", "prvi", "state", "assistant",
                            "pomocnik", "acting", "under"})

# The two sides told together, named before ("The two heads of state held talks",
# "Dvojica ministara razgovarala su"): a pair of the last two people named.
BOTH_SIDES = {
    "en": _words(r"(?:the|both) two (?:heads of state|heads of government|presidents|leaders|"
                 r"foreign ministers|ministers|prime ministers|secretaries)",
                 r"both (?:leaders|presidents|ministers)"),
    "sr": _words(r"(?:dvojica|dva|oba) (?:ministr\w*|predsednik\w*|sef\w* drzav\w*|"
                 r"lider\w*)"),
    "ru": _words(r"(?:dva|oba) (?:ministr\w*|prezident\w*|lider\w*)",
                 r"glavy gosudarstv", r"ministry"),
}

# Delegations' heads: consultations whose two delegations the text says who led.
DELEGATION = _words(r"delegations?", r"delegacij\w*")
LED = _words(r"led", r"headed", r"chaired", r"predvodi\w*", r"predvodio", r"predvodila",
             r"vodio", r"vodila", r"vozglavl\w*", r"vozglavil\w*", r"na celu", r"vo glave")
# A plural office: every country named after it is a side ("with the ministers of foreign
# affairs of Austria, Bulgaria and Montenegro", "са министрима ... Црне Горе и ...").
PLURAL_ROLE = re.compile(r"(?:ers|ives|ors|ents|ives|eads|ts|ministrima|ministri|"
                         r"predstavnicima|predstavnici|kolegama|ministrami|ministrov|"
                         r"predstaviteljami|predstavitelej|kollegami)$")

# "On the sidelines of the 76th session of the UN General Assembly", "na marginama",
# "на полях", "в кулуарах": talks at a conference, whose name follows.
SIDELINES = re.compile(
    r"(?<![\w])(?:on the (?:sidelines|margins?)|in the margins?|at the margins?|"
    r"na marginama|na margini|u marginama|na poljah|v kuluarah)(?: of)? (?P<name>.+)")
# What ends a conference's name.
CONFERENCE_END = re.compile(
    r"(?<![\w])(?:in|u|v|where|who|which|with|sa|s|gde|held|koji|koja|kotor\w*|"
    r"on|at|and|i|to|za|dlja)(?![\w])")
VISIT = _words(r"visit\w*", r"poset\w*", r"vizit\w*", r"prebyva\w*", r"boravi\w*")
# "today", "yesterday" in the sentence: the encounter's day from the publication date.
TODAY = _words(r"today", r"danas", r"segodnja")
YESTERDAY = _words(r"yesterday", r"juce", r"vcera")

# Cities readouts name, by folded stem (the declined forms share it): the place shown.
CITIES = {
    "moscow": "Moscow", "moskv": "Moscow", "beijing": "Beijing", "peking": "Beijing",
    "pekin": "Beijing", "belgrad": "Belgrade", "beograd": "Belgrade",
    "new york": "New York", "njujork": "New York", "nju jork": "New York",
    "washington": "Washington", "vasington": "Washington", "brussels": "Brussels",
    "brisel": "Brussels", "brjussel": "Brussels", "geneva": "Geneva", "zenev": "Geneva",
    "london": "London", "paris": "Paris", "pariz": "Paris",
    "berlin": "Berlin", "vienna": "Vienna", "bec": "Vienna", "ven": "Vienna",
    "budapest": "Budapest", "budimpest": "Budapest",
    "ankara": "Ankara", "istanbul": "Istanbul", "stambol": "Istanbul", "minsk": "Minsk",
    "sochi": "Sochi", "soc": "Sochi", "sankt peterburg": "Saint Petersburg",
    "st petersburg": "Saint Petersburg", "saint petersburg": "Saint Petersburg",
    "tokyo": "Tokyo", "tokio": "Tokyo", "delhi": "New Delhi", "new delhi": "New Delhi",
    "nju delhi": "New Delhi", "rome": "Rome", "rim": "Rome", "madrid": "Madrid",
    "athens": "Athens", "atin": "Athens", "afin": "Athens", "sarajev": "Sarajevo",
    "sarajevo": "Sarajevo", "zagreb": "Zagreb", "ljubljan": "Ljubljana",
    "ljubljana": "Ljubljana", "podgoric": "Podgorica", "skopj": "Skopje",
    "skopje": "Skopje", "tirana": "Tirana", "tiran": "Tirana", "pristina": "Pristina",
    "pristin": "Pristina", "kyiv": "Kyiv", "kiev": "Kyiv", "kijev": "Kyiv",
    "oslo": "Oslo", "rijad": "Riyadh", "riyadh": "Riyadh", "ar rijad": "Riyadh",
    "abu dhabi": "Abu Dhabi", "abu dabi": "Abu Dhabi", "doha": "Doha", "doh": "Doha",
    "tianjin": "Tianjin", "tjanczin": "Tianjin", "astana": "Astana", "astan": "Astana",
    "baku": "Baku", "erevan": "Yerevan", "yerevan": "Yerevan", "tbilis": "Tbilisi",
    "tbilisi": "Tbilisi", "kairo": "Cairo", "cairo": "Cairo", "kair": "Cairo",
    "tel aviv": "Tel Aviv", "teheran": "Tehran", "tehran": "Tehran", "bern": "Bern",
    "helsinki": "Helsinki", "stockholm": "Stockholm", "stokholm": "Stockholm",
    "varsav": "Warsaw", "warsaw": "Warsaw", "prag": "Prague", "prague": "Prague",
    "bratislav": "Bratislava", "bukurest": "Bucharest", "bucharest": "Bucharest",
    "sofia": "Sofia", "sofij": "Sofia", "new york city": "New York",
}
PLACE_BEFORE = {"en": frozenset({"in", "at"}), "sr": frozenset({"u"}),
                "ru": frozenset({"v", "vo"})}

# Topics a readout may raise, for the differences between readouts of one event: a label
# and a pattern over the folded text (word starts, in any of the four languages).
TOPICS: tuple[tuple[str, re.Pattern[str]], ...] = tuple((label, re.compile(
    r"(?<![\w])(?:" + pattern + ")")) for label, pattern in (
    ("Kosovo", r"kosov|kosmet|metohij|pristin|kfor|unmik|kim(?![\w])"),
    ("sanctions", r"sanction|sankci|restrictive measure"),
    ("energy", r"energ|gas(?![\w])|gasa|gasn|gaz(?![\w])|gaza(?![\w])|gazov|oil(?![\w])|"
               r"neft|nafte|naftn|pipeline|gasovod|gazoprovod|nuclear|nuklear|jadern"),
    ("Ukraine", r"ukrain|ukrajin|kyiv|kiev|kijev|minsk|donbas"),
    ("European Union", r"european union|evropsk\w* unij|evrosojuz|evropejsk\w* sojuz|"
                       r"accession|pristupanj|eu(?![\w])|es(?![\w])"),
    ("trade and investment", r"trade|trgovin|torgov|econom|ekonom|invest|privred|business"),
    ("UN Security Council", r"security council|savet\w* bezbednosti|sovet\w* bezopasnosti|"
                            r"1244"),
    ("terrorism", r"terror"),
    ("Bosnia and Herzegovina", r"bosn|hercegovin|gercegovin|herzegovin|dayton|dejton|"
                               r"republika srpska"),
    ("ceasefire and peace talks", r"ceasefire|primirj|peremiri|peace talks|peace process"),
    ("COVID-19", r"covid|pandem|vaccin|vakcin|sputnik"),
    ("culture and people", r"cultur|kultur|humanitar|gumanitar|educat|obrazovan|touris|"
                           r"turiz|student"),
    ("defence and NATO", r"nato|military|vojn|voenn|defen[cs]|odbran|oboron"),
    ("migration", r"migra"),
    ("climate", r"climat|klimat"),
    ("Expo 2027", r"expo|ekspo"),
    ("OSCE", r"osce|obse|oebs"),
    ("UN", r"united nations|ujedinjen\w* nacij|oon(?![\w])|un(?![\w])"),
    ("China's core interests", r"taiwan|tajvan|tajvan|one china|xinjiang|hong kong"),
))

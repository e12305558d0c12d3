"""Words around officials' names: the titles that introduce a person, and the words that
are never part of a person's name (institutions, places, months, forms of address).

Titles are listed with their case forms (Serbian: nominative, genitive, dative, instrumental;
Russian: nominative, genitive, dative, instrumental, prepositional), so a title read in a
communiqué gives both its nominative (the role as shown) and its case (which tells how the
name after it is inflected). Everything is matched on folded keys (`key_tokens`), so the
Serbian Cyrillic and Latin spellings of a word are one entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from babel import Locale

from indexer.entities.names import HONORIFICS, key_tokens
from indexer.folding import fold

NOM, GEN, DAT, INS, LOC = "nom", "gen", "dat", "ins", "loc"


@dataclass(frozen=True)
class TitleWord:
    """One word of a title: its nominative, case, and whether it is the noun (head)."""

    nominative: str
    case: str
    noun: bool
    feminine: bool = False


# Nouns that name an office. Serbian: nom | gen | dat (= loc) | ins [| acc when it
# differs]; a leading "f:" marks a feminine noun.
_SERBIAN_NOUNS = """
ministar ministra ministru ministrom
f:ministarka ministarke ministarki ministarkom ministarku
ambasador ambasadora ambasadoru ambasadorom
f:ambasadorka ambasadorke ambasadorki ambasadorkom ambasadorku
sekretar sekretara sekretaru sekretarom
f:sekretarka sekretarke sekretarki sekretarkom sekretarku
predsednik predsednika predsedniku predsednikom
f:predsednica predsednice predsednici predsednicom predsednicu
potpredsednik potpredsednika potpredsedniku potpredsednikom
f:potpredsednica potpredsednice potpredsednici potpredsednicom potpredsednicu
premijer premijera premijeru premijerom
f:premijerka premijerke premijerki premijerkom premijerku
zamenik zamenika zameniku zamenikom
f:zamenica zamenice zamenici zamenicom zamenicu
pomoćnik pomoćnika pomoćniku pomoćnikom
f:pomoćnica pomoćnice pomoćnici pomoćnicom pomoćnicu
portparol portparola portparolu portparolom
f:portparolka portparolke portparolki portparolkom portparolku
direktor direktora direktoru direktorom
f:direktorka direktorke direktorki direktorkom direktorku
komesar komesara komesaru komesarom
f:komesarka komesarke komesarki komesarkom komesarku
izaslanik izaslanika izaslaniku izaslanikom
f:izaslanica izaslanice izaslanici izaslanicom izaslanicu
predstavnik predstavnika predstavniku predstavnikom
f:predstavnica predstavnice predstavnici predstavnicom predstavnicu
otpravnik otpravnika otpravniku otpravnikom
f:otpravnica otpravnice otpravnici otpravnicom otpravnicu
konzul konzula konzulu konzulom
kancelar kancelara kancelaru kancelarom
f:kancelarka kancelarke kancelarki kancelarkom kancelarku
kralj kralja kralju kraljem
f:kraljica kraljice kraljici kraljicom kraljicu
emir emira emiru emirom
šef šefa šefu šefom
f:šefica šefice šefici šeficom šeficu
"""

_SERBIAN_ADJECTIVES = """
državni državnog državnom državnim
f:državna državne državnoj državnom državnu
generalni generalnog generalnom generalnim
f:generalna generalne generalnoj generalnom generalnu
stalni stalnog stalnom stalnim
f:stalna stalne stalnoj stalnom stalnu
specijalni specijalnog specijalnom specijalnim
f:specijalna specijalne specijalnoj specijalnom specijalnu
visoki visokog visokom visokim
f:visoka visoke visokoj visokom visoku
savezni saveznog saveznom saveznim
f:savezna savezne saveznoj saveznom saveznu
prvi prvog prvom prvim
f:prva prve prvoj prvom prvu
posebni posebnog posebnom posebnim
f:posebna posebne posebnoj posebnom posebnu
izvanredni izvanrednog izvanrednom izvanrednim
opunomoćeni opunomoćenog opunomoćenom opunomoćenim
bivši bivšeg bivšem bivšim
f:bivša bivše bivšoj bivšom bivšu
"""

# Russian: nom | gen | dat | ins | prep.
_RUSSIAN_NOUNS = """
министр министра министру министром министре
посол посла послу послом после
секретарь секретаря секретарю секретарем секретаре
президент президента президенту президентом президенте
председатель председателя председателю председателем председателе
премьер премьера премьеру премьером премьере
заместитель заместителя заместителю заместителем заместителе
замминистра замминистра замминистра замминистра замминистра
помощник помощника помощнику помощником помощнике
представитель представителя представителю представителем представителе
постпред постпреда постпреду постпредом постпреде
спецпредставитель спецпредставителя спецпредставителю спецпредставителем спецпредставителе
спецпосланник спецпосланника спецпосланнику спецпосланником спецпосланнике
посланник посланника посланнику посланником посланнике
директор директора директору директором директоре
комиссар комиссара комиссару комиссаром комиссаре
поверенный поверенного поверенному поверенным поверенном
консул консула консулу консулом консуле
канцлер канцлера канцлеру канцлером канцлере
король короля королю королем короле
эмир эмира эмиру эмиром эмире
глава главы главе главой главе
"""

_RUSSIAN_ADJECTIVES = """
государственный государственного государственному государственным государственном
генеральный генерального генеральному генеральным генеральном
официальный официального официальному официальным официальном
постоянный постоянного постоянному постоянным постоянном
специальный специального специальному специальным специальном
верховный верховного верховному верховным верховном
чрезвычайный чрезвычайного чрезвычайному чрезвычайным чрезвычайном
полномочный полномочного полномочному полномочным полномочном
первый первого первому первым первом
временный временного временному временным временном
федеральный федерального федеральному федеральным федеральном
бывший бывшего бывшему бывшим бывшем
"""

# English: office nouns, and the words that may stand before them in a title.
ENGLISH_NOUNS = """minister ambassador secretary president premier chancellor spokesperson
spokeswoman spokesman director commissioner representative envoy chargé charge consul
councillor councilor chair chairman chairwoman chairperson king queen emir sultan prince
""".split()
ENGLISH_MODIFIERS = """foreign deputy first prime vice assistant acting under state special
permanent high chief senior executive general principal personal interim former outgoing
incoming ministry press federal""".split()

_SERBIAN_CASES = (NOM, GEN, DAT, INS, GEN)
_RUSSIAN_CASES = (NOM, GEN, DAT, INS, LOC)


def _forms(table: str, cases: tuple[str, ...], noun: bool) -> dict[str, TitleWord]:
    words: dict[str, TitleWord] = {}
    for line in table.split("\n"):
        forms = line.split()
        if not forms:
            continue
        feminine = forms[0].startswith("f:")
        forms[0] = forms[0].removeprefix("f:")
        for form, case in zip(forms, cases, strict=False):
            words.setdefault(fold(form), TitleWord(forms[0], case, noun, feminine))
    return words


LANGUAGES = ("en", "sr", "ru")
# Title keys a language's own words take for something else: Serbian "posla" (of work)
# is Russian "посла" (of the ambassador).
_NOT_TITLES = {"sr": frozenset({"posl", "posol"})}


@lru_cache(maxsize=8)
def _language_words(language: str) -> dict[str, TitleWord]:
    if language == "en":
        return {fold(word): TitleWord(word, NOM, noun=True) for word in ENGLISH_NOUNS}
    if language == "sr":
        return {**_forms(_SERBIAN_NOUNS, _SERBIAN_CASES, noun=True),
                **_forms(_SERBIAN_ADJECTIVES, _SERBIAN_CASES, noun=False)}
    return {**_forms(_RUSSIAN_NOUNS, _RUSSIAN_CASES, noun=True),
            **_forms(_RUSSIAN_ADJECTIVES, _RUSSIAN_CASES, noun=False)}


@lru_cache(maxsize=8)
def title_words(language: str = "") -> dict[str, TitleWord]:
    """Title words by their folded written form (not stemmed: the case shows): the
    page's language's first, then the others' (communiqués quote each other)."""
    base = language.split("-")[0]
    words: dict[str, TitleWord] = {}
    for each in sorted(LANGUAGES, key=lambda lang: lang != base):
        for form, word in _language_words(each).items():
            words.setdefault(form, word)
    return words


@lru_cache(maxsize=8)
def title_keys(language: str = "") -> frozenset[str]:
    """Index keys (folded, case endings stripped) of the office nouns: the words a title
    introducing a person must contain."""
    keys = {key for form, word in title_words(language).items() if word.noun
            for key in key_tokens(form)}
    return frozenset(keys - _NOT_TITLES.get(language.split("-")[0], frozenset()))


@lru_cache(maxsize=8)
def modifier_keys(language: str = "") -> frozenset[str]:
    """Keys of words that may open a title before its noun ("Foreign", "državni", ...)."""
    keys = {key for form, word in title_words(language).items() if not word.noun
            for key in key_tokens(form)}
    keys.update(k for word in ENGLISH_MODIFIERS for k in key_tokens(word))
    return frozenset(keys)


# Words after which the next word belongs to the title's complement ("of Italy",
# "u Beogradu", "в Москве"), never to a name.
PREPOSITIONS = frozenset(fold(w) for w in """of to for in at on from by with without u za pri
na iz od kod sa s o bez в во при по на из от для у с со о об к без""".split())
# Words that join parts of a title or its complement ("Foreign and European Affairs").
CONNECTORS = frozenset(fold(w) for w in "and the a an i и ad d".split())
# Lower-case words inside names ("Ursula von der Leyen", "Abdel Fattah el-Sisi").
PARTICLES = frozenset("""von fon van der den de del della di da dos das du la le bin ibn al el
ter zu af y фон ван дер де дел ди да дос дас дю ла ле бин ибн ал ел аль эль""".split())
# Surnames that are words too, whose word may end a name ("Richard Hall", "Theresa May").
SURNAME_WORDS = frozenset(k for w in """hall church king prince house bank court
west north south east rose hill young brown white black green gray grey may june""".split()
                          for k in key_tokens(w))

# Lower-case words of a title's complement before the name: what the office is about
# ("ministar spoljnih poslova", "министр иностранных дел", "minister for foreign affairs").
# Folded keys, matched by prefix.
_COMPLEMENT_STEMS = """
foreign affair european international trade defence defense econom development
cooperation security polic interior justice financ human right refugee migration
politic public diplomac legal consular multilateral bilateral interim designate elect
spoljn posl inostran evrop integrac medjunarod medunarod trgovin odnos bezbed odbran
unutras pravd finans ljudsk manjin prav izbeglic migrac dijaspor saradn bilateral
multilateral diplomat konzular region kultur zdrav energet turizm privred razvoj
infrastruk telekomunik informis nauk prosvet sport omladin poljopriv zastit zivotn sredin
rudarst gradjevin saobrac spoljnotrgovin poslov inostrannyh inostrann del vnesn torgovl
ekonomic mezdunarod bezopasn oboron justic celovek bezenc razvit sotrudnic vopros svjaz
evropejsk gumanitar sootecestvenn obscestv informac pecat protokol konsul nacional
vlad unij skupstin ministarstv delegac ambasad misij komisij savet organizac sekretarijat
kancelarij predsednistv generaln pravitel ministerstv posolstv federac sojuz sovet komitet
republik respublik drzav gosudarstv narod nacij politik other organiz organis agenc
portfolio portfelj portfel responsib charge zaduz
""".split()

# Capitalised words that are never part of a person's name: institutions, titles,
# honorifics, function words. Folded index keys; the longer ones match as prefixes
# (inflections), the short ones only whole.
# English words: matched whole.
_ENGLISH_NOT_NAMES = """
federation republic kingdom ministry minister affairs foreign office department government
embassy state states nations united union council secretary president deputy general
ambassador director spokesperson spokeswoman spokesman prime first assistant acting
permanent representative people peoples federal national security european special envoy
mission delegation commission commissioner chairman chair chairwoman chairperson head his
her its their our your my excellency majesty highness royal the of and for on to in at by
high vice under chief senior executive central committee policy cooperation development
trade economic economy defence defense interior justice health culture education environment
energy agriculture human rights refugees migration organization organisation agency atomic
international world parliament parliamentary assembly house senate congress court bank fund
programme program conference summit forum group treaty alliance partnership initiative
process agreement declaration charter plan strategy institute centre center university
academy school foundation association chamber commerce industry company corporation
airport street square avenue boulevard palace hall building library museum church cathedral
monastery hotel city region province district county island islands north south east west
northern southern eastern western upper lower great holy saint day week year today
yesterday tomorrow morning evening this that these those he she it they we i you who whom
whose which what when where why how also both all after before during following over
between about against from with without within into upon but or not as is was will would
has have had mr mrs ms dr sir dame lord lady madam minister-counsellor counsellor adviser
advisor staff cabinet service services administration authority authorities control
force forces army navy police guard commander general-secretary secretariat presidency
premiership ministerial diplomatic consulate consular mission missions delegation
council's nato osce un eu ec unesco unicef unhcr iaea who wto imf oecd brics sco csto
cis gulf arab african asian american latin pacific atlantic arctic baltic balkan balkans
caucasus mediterranean nordic western-balkans black sea middle near far red cross crescent
press information public media news briefing statement communique joint minutes readout
socialist democratic islamic arab plurinational bolivarian cooperative duchy principality
sultanate emirates federated confederation commonwealth autonomous
dialogue talks negotiations consultations meeting visit session format mechanism platform
caribbean eurasian andean sahel levant scandinavian oceanian polar adriatic danube
conference's
 award  order
portfolio responsible diaspora
""".split()
# Serbian and Russian stems: the longer ones match as prefixes (inflections).
_SLAVIC_NOT_NAMES = """
federac republi respubl kraljevin korolevstv minist ministr ministar vlad pravitel ambasad posol
posolstv sekretar predsed prezident departam kancelar upravlen ujedinjen objedin narod
savez sojuz evrops evropejsk unij komisij komissi savet sovet skupst parlament duma
delegac delegaci misij missi kabinet sluzb agencij agentstv organizac kancelarij ured
odbor komitet fond programm program konferenc samit sammit forum grup grupp sporazum
soglasen deklarac povelj hartij strategij strategi institut centar centr univerzitet
universitet akadem skol fondac udruz associac  privred kompanij kompani aerodrom
aeroport ulic ploscad prospekt bulevar palat dvorac dvorec zgrad zdani bibliotek muzej
crkv cerkv hram manastir monastyr hotel gostinic grad gorod pokrajin oblast okrug
 gospod gospodj gospodin gospoz ekselenc prevoshoditeln visost velicanstv
velicestv drzavn gosudarstvenn generaln spoljn vnesn inostran inostrann stalni postojann
specijaln specialn visok verhovn posebn izaslan predstavn predstavitel opunomoc
polnomocn izvanredn cerezvycajn otpravn poverenn konzul konsul potpredsed zamenik
zamestitel pomocn pomoscnik premijer premer portparol direktor komesar komissar emir
kancler glav sef sefic mid mip mfa ministarstv ministerstv drzav gosudarstv
bezbed bezopasn odbran oboron evropsk evraz evrazijsk azijsk africk afrikansk amerik
latinsk arapsk arabsk zaliv persidsk balkan kavkaz sredozem  severn jug juzn
istocn vostok vostocn zapad zapadn sredn centraln nacionaln nacional medjunarodn
mezdunarodn unija bezbednost saradnj sotrudnicestv razvoj razviti trgovin torgovl
socialist socijalist demokrat narodn islamsk federativn soedinenn sjedinjen velik
bolivarsk plurinacional avtonomn autonomn kneževin knjazestv sultanat emirat
stat statov statam statah drzav krasn krest crven krst polumesec nacij dijalog dialog
evrosojuz evrounij direkcij direkci odeljenj odsek sektor generalnog pacifik tihookean
pregovor peregovor konsultac dogovor ugovor sporazum
vtorog vtoroj vtorom tretj tretjeg cetvert pervog pervom drugog drugom treceg trecem
spoljnopoliticki vnesnepoliticesk press informac pres
""".split()

# Serbian genitives that make a street or a place of the name after them ("Kneza Miloša
# 24", the ministry's address; "Kralja Milana", "Svetog Save"): matched whole only, since
# "Knežević" and "Kraljević" are surnames.
_SLAVIC_NOT_NAMES_WHOLE = """knez kneza knezu knezom kneginje kralja kralju kraljice
despota vojvode svetog svetoga svete""".split()

# Letters a short word needs to match by prefix (shorter: only whole).
_PREFIX_MIN = 5


def _stems(words: list[str], shortest: int = _PREFIX_MIN) -> tuple[frozenset[str],
                                                                  tuple[str, ...]]:
    """Whole keys, and the prefixes (stems as listed, folded) a key may start with."""
    keys = {k for word in words for k in key_tokens(word)}
    stems = {fold(word) for word in words}
    return frozenset(keys | stems), tuple(sorted(s for s in stems if len(s) >= shortest))


_ENGLISH_NOT_NAME_KEYS = frozenset(k for w in _ENGLISH_NOT_NAMES + _SLAVIC_NOT_NAMES_WHOLE
                                   for k in key_tokens(w))
_NOT_NAME_KEYS, _NOT_NAME_PREFIXES = _stems(_SLAVIC_NOT_NAMES)
# A longer complement only makes the name's search start further on: short stems are fine.
_COMPLEMENT_KEYS, _COMPLEMENT_PREFIXES = _stems(_COMPLEMENT_STEMS, 3)


@lru_cache(maxsize=65_536)
def not_a_name(key: str) -> bool:
    """A word (its index key) that no person's name contains: an institution, a title,
    a month or a weekday, a form of address."""
    return (key in _NOT_NAME_KEYS or key in _ENGLISH_NOT_NAME_KEYS or key in HONORIFICS
            or key in weekday_keys() or key in title_keys()
            or key.startswith(_NOT_NAME_PREFIXES))


@lru_cache(maxsize=65_536)
def complement_word(key: str) -> bool:
    """A lower-case word that may continue a title before the name."""
    return (key in _COMPLEMENT_KEYS or key.startswith(_COMPLEMENT_PREFIXES)
            or key in PREPOSITIONS or key in CONNECTORS)


_CALENDAR_LOCALES = ("en", "sr", "sr_Latn", "ru")


def _calendar(table: str) -> frozenset[str]:
    keys: set[str] = set()
    for name in _CALENDAR_LOCALES:
        names = getattr(Locale.parse(name), table)
        for context in ("format", "stand-alone"):
            for word in dict(names[context]["wide"]).values():  # "Sun", "Mon" are names too
                keys.update(key_tokens(word))
    return frozenset(k for k in keys if len(k) > 2)


@lru_cache(maxsize=1)
def weekday_keys() -> frozenset[str]:
    """Weekday names in every form CLDR gives (English, Serbian, Russian)."""
    return _calendar("days")


@lru_cache(maxsize=1)
def month_keys() -> frozenset[str]:
    """Month names: not a name next to a number ("5. maja", "May 5"), but first names
    too ("Maja", "June")."""
    return _calendar("months")


_ZONE_REGIONS = frozenset({"Europe", "Asia", "Africa"})
# Places that are not countries but stand before names in communiqués.
_EXTRA_PLACES = """Geneva; New York; Brussels; Strasbourg; The Hague; Novi Sad; Niš;
Kragujevac; Pristina; Priština; Kosovska Mitrovica; Sochi; Saint Petersburg; St. Petersburg;
Davos; Munich; Ohrid; Podgorica; Banja Luka; Washington; Beijing; Shanghai; Vienna; Rome;
Paris; London; Berlin; Moscow; Belgrade; Beograd; Ženeva; Njujork; Njujorku; Brisel; Beč;
Moskva; Vašington; Peking; Пекин; Москва; Вашингтон; Женева; Нью-Йорк; Брюссель; Вена;
Београд; Белград; Брисел; Беч; Њујорк; Санкт-Петербург; Сочи; Нови Сад; Приштина;
Europe; Asia; Africa; America; Oceania; Antarctica; Evropa; Azija; Afrika; Amerika; Европа;
Азија; Африка; Америка; Азия; Latin America; Latinska Amerika; Латинская Америка;
Havana; Caracas; Mexico City; Buenos Aires; Brasília; Ottawa; Santiago; Lima; Bogotá;
Гавана; Каракас; Havana; Karakas; Otava; Буэнос-Айрес""".replace(
    "\n", " ")


@lru_cache(maxsize=1)
def place_keys() -> frozenset[tuple[str, ...]]:
    """Keys of cities (CLDR's exemplar cities of time zones, in English, Serbian and
    Russian, and a few more that communiqués name): never a person's name."""
    keys: set[tuple[str, ...]] = set()
    for name in _CALENDAR_LOCALES:
        for zone, names in Locale.parse(name).time_zones.items():
            # Europe's, Asia's and Africa's: the Americas', Australia's and the oceans'
            # are small places named after people (Casey, Davis, Palmer, Knox).
            if zone.split("/")[0] not in _ZONE_REGIONS:
                continue
            city = names.get("city") or zone.rsplit("/", 1)[-1].replace("_", " ")
            keys.add(key_tokens(city))
    keys.update(key_tokens(place) for place in _EXTRA_PLACES.split(";"))
    return frozenset(k for k in keys if k)


# Words that make a person's name part of a place's or an institution's: after it
# ("the Trump Route", "the Dag Hammarskjöld Library") or before it ("aerodrom Nikola
# Tesla", "Muzej Nikole Tesle", "улица Пушкина"). Index keys.
NAMED_AFTER = frozenset(k for w in """route airport center centre library foundation
institute university prize street square avenue boulevard bridge museum school college
doctrine memorial stadium hospital highway""".split() for k in key_tokens(w))
NAMED_BEFORE = frozenset(k for w in """aerodrom aerodroma aerodromu ulica ulice ulici ulicu
trg trga trgu bulevar bulevara bulevaru muzej muzeja muzeju biblioteka biblioteke
biblioteci zadužbina zadužbine fondacija fondacije nagrada nagrade škola škole univerzitet
univerziteta аэропорт аэропорта улица улицы улице площадь площади проспект проспекта
музей музея библиотека библиотеки фонд фонда премия премии школа школы университет
университета аеродром аеродрома улица трг булевар музеј музеја библиотека задужбина
фондација награда школа универзитет""".split() for k in key_tokens(w))

"""Turn a response body into text: BOM, then header, then meta, then detection."""

from __future__ import annotations

import codecs
import math
import re

import charset_normalizer

# Only encodings a web page can legitimately use (WHATWG's list, plus UTF-32 for BOMs).
# An allowlist rather than codecs.lookup() alone: Python also "decodes" charset=utf-7,
# unicode_escape or base64, which a hostile page could use to smuggle markup.
_PYTHON_TO_NAME = {
    "utf-8": "utf-8",
    "utf-16-le": "utf-16le",
    "utf-16-be": "utf-16be",
    "utf-32-le": "utf-32le",
    "utf-32-be": "utf-32be",
    # WHATWG decodes latin-1 and ASCII labels as windows-1252, a superset of both.
    "ascii": "windows-1252",
    "iso8859-1": "windows-1252",
    "iso8859-9": "windows-1254",
    **{f"cp{n}": f"windows-{n}" for n in range(1250, 1259)},
    "cp874": "windows-874",
    **{f"iso8859-{n}": f"iso-8859-{n}" for n in (2, 3, 4, 5, 6, 7, 8, 10, 13, 14, 15, 16)},
    "iso8859-11": "windows-874",
    "cp866": "ibm866",
    "koi8-r": "koi8-r",
    "koi8-u": "koi8-u",
    "mac-roman": "macintosh",
    "mac-cyrillic": "x-mac-cyrillic",
    "gbk": "gbk",
    "gb2312": "gbk",
    "gb18030": "gb18030",
    "big5": "big5",
    "big5hkscs": "big5",
    "cp950": "big5",
    "euc_jp": "euc-jp",
    "iso2022_jp": "iso-2022-jp",
    "shift_jis": "shift_jis",
    "cp932": "shift_jis",
    "euc_kr": "euc-kr",
    "cp949": "euc-kr",
}

# Labels Python does not know, or knows under another meaning than browsers do.
_LABEL_ALIASES = {
    "utf-16": "utf-16le",
    "unicode-1-1-utf-8": "utf-8",
    "x-mac-cyrillic": "x-mac-cyrillic",
    "x-mac-ukrainian": "x-mac-cyrillic",
    "x-sjis": "shift_jis",
    "windows-31j": "shift_jis",
    "ks_c_5601-1987": "euc-kr",
    "x-gbk": "gbk",
    "tis-620": "windows-874",
    "iso-8859-8-i": "iso-8859-8",
    **{f"x-cp{n}": f"windows-{n}" for n in range(1250, 1259)},
}

# The codec that decodes a name the way browsers do (supersets where WHATWG uses them).
_DECODER = {
    "x-mac-cyrillic": "mac-cyrillic",
    "macintosh": "mac-roman",
    "gbk": "gb18030",
    "big5": "big5hkscs",
    "shift_jis": "cp932",
    "euc-kr": "cp949",
}

_BOMS = (
    # UTF-32 first: its little-endian BOM starts with UTF-16's.
    (codecs.BOM_UTF32_LE, "utf-32le"),
    (codecs.BOM_UTF32_BE, "utf-32be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16le"),
    (codecs.BOM_UTF16_BE, "utf-16be"),
)

# What detection may answer: single- and multi-byte encodings pages use without a BOM.
# Without this list it happily proposes UTF-16 for a page of spaces, or DOS/Mac code
# pages (cp1125, kz1048, mac_cyrillic) that decode windows-1251 bytes into nonsense.
_DETECTABLE = [
    "utf_8",
    *(f"cp{n}" for n in range(1250, 1259)),
    "iso8859_2",
    "iso8859_5",
    "iso8859_7",
    "iso8859_15",
    "koi8_r",
    "koi8_u",
    "cp866",
    "gb18030",
    "big5",
    "euc_jp",
    "cp932",
    "cp949",
    "cp874",
]
_ASCII_RUN = re.compile(rb"[\x00-\x7f]{64,}")

# Cyrillic single-byte pages without a declaration: the detector calls short ones
# Shift_JIS or windows-1250. These letter frequencies (per cent, the highest of Russian,
# Serbian, Ukrainian, Bulgarian and Macedonian) tell real Cyrillic text from the letters
# other encodings' bytes make when read as windows-1251 or KOI8-R. On 30-200 byte
# snippets, real text averages above -3.4 (natural log of the frequency); Greek, Hebrew
# and Arabic read as windows-1251 score below -3.45; the wrong one of windows-1251 and
# KOI8-R scores lower than the right one.
_CYRILLIC_FREQ = {
    "а": 11.7, "и": 9.8, "о": 11.0, "е": 8.5, "н": 6.7, "т": 6.3, "і": 5.9, "с": 5.5,
    "в": 5.4, "р": 4.9, "ј": 4.5, "л": 4.4, "у": 4.3, "к": 3.9, "д": 3.4, "м": 3.3,
    "п": 2.9, "я": 2.6, "ъ": 2.6, "з": 2.3, "ы": 1.9, "ь": 1.7, "г": 1.7, "б": 1.6,
    "ч": 1.4, "й": 1.2, "х": 1.2, "ж": 0.9, "ш": 0.9, "ц": 0.9, "ћ": 0.9, "ю": 0.7,
    "щ": 0.6, "њ": 0.6, "љ": 0.6, "ї": 0.6, "ў": 0.5, "є": 0.4, "э": 0.3, "ф": 0.3,
    "ђ": 0.3, "ё": 0.2, "ќ": 0.2, "џ": 0.1, "ѓ": 0.1, "ґ": 0.05, "ѕ": 0.05,
}
_CYRILLIC_LOG_FREQ = {letter: math.log(pct / 100) for letter, pct in _CYRILLIC_FREQ.items()}
_RARE_LOG_FREQ = math.log(0.0002)
_CYRILLIC_MIN_SCORE = -3.4
_CYRILLIC_MIN_LETTERS = 3
# Besides letters, what windows-1251 text holds above ASCII (Serbian and Russian quotes,
# dashes, No., euro ...). Anything else (box drawing, ‹, ¤ ...) is "odd".
_CYRILLIC_PUNCT = frozenset("\u00a0\u00ad«»„“”‘’‚–—…№•·°§©®™€‰±")
_MAX_ODD_SHARE = 0.05
_MAX_MIXED_WORD_SHARE = 0.1
_MAX_CASE_SWITCH_SHARE = 0.05  # "еУправа" happens; in most words it does not
_WORD = re.compile(r"[^\W\d_]+")
# ’ is the Ukrainian apostrophe (м’ясо), so it may stand inside a word.
_PUNCT_IN_WORD = re.compile(
    f"(?<=[\u0400-\u04ff])[{re.escape(''.join(sorted(_CYRILLIC_PUNCT - {'’'})))}]"
    "(?=[\u0400-\u04ff])"
)
# A lower-case Cyrillic letter followed by a capital one.
_CASE_SWITCH = re.compile("[\u0430-\u045f\u0491][\u0400-\u042f\u0490]")
# Scoring looks at this much text (after dropping ASCII runs): plenty to decide.
_CYRILLIC_SAMPLE_BYTES = 20_000

_PRESCAN_BYTES = 4096
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([^\s"';,]+)""", re.IGNORECASE)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_META_TAG = re.compile(r"<meta\b[^>]*>", re.IGNORECASE)
_META_CHARSET = re.compile(r"""\bcharset\s*=\s*["']?\s*([^\s"';/>]+)""", re.IGNORECASE)
_XML_DECL = re.compile(r"""^\s*<\?xml\b[^>]*?\bencoding\s*=\s*["']([^"']+)["']""", re.IGNORECASE)


def normalise_encoding(label: str | None) -> str | None:
    """Canonical web name for a charset label ("cp1251" -> "windows-1251"), or None.

    None means unknown or not a web text encoding; callers skip it rather than fail.
    """
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    if label in _LABEL_ALIASES:
        return _LABEL_ALIASES[label]
    try:
        python_name = codecs.lookup(label).name
    except (LookupError, ValueError):
        return None
    return _PYTHON_TO_NAME.get(python_name)


def decode_body(content: bytes, content_type_header: str | None) -> tuple[str, str]:
    """Decode ``content`` and return ``(text, encoding)``.

    Order: byte-order mark, Content-Type charset, ``<meta>``/XML declaration in the
    first 4 KB, strict UTF-8, windows-1251 or KOI8-R when the bytes read as Cyrillic
    text in one of them, charset_normalizer, and finally UTF-8 with replacement.
    A declared charset that does not decode strictly is skipped, because sites
    (Serbian ones notably) serve windows-1251 pages labelled UTF-8.
    """
    for bom, name in _BOMS:
        if content.startswith(bom):
            text = _try_decode(content[len(bom) :], name)
            if text is not None:
                return text, name
            break

    for label in (_header_charset(content_type_header), _prescan_charset(content)):
        declared = normalise_encoding(label)
        if declared is not None:
            text = _try_decode(content, declared)
            if text is not None:
                return text, declared

    # Valid UTF-8 with non-ASCII bytes is almost never an accident, and a detector
    # guessing on short texts is less reliable than this check.
    text = _try_decode(content, "utf-8")
    if text is not None:
        return text, "utf-8"

    cyrillic = _cyrillic_single_byte(content)
    if cyrillic is not None:
        text = _try_decode(content, cyrillic)
        if text is not None:
            return text, cyrillic

    for match in charset_normalizer.from_bytes(
        # The detector samples a few chunks; long ASCII runs (head, scripts, markup) would
        # fill them and leave nothing to judge, so it sees only the text around non-ASCII.
        _ASCII_RUN.sub(b"\n", content),
        cp_isolation=_DETECTABLE,
        # Declarations were weighed above; the detector would otherwise trust a
        # <meta> anywhere in the page over the bytes themselves.
        preemptive_behaviour=False,
    ):
        detected = normalise_encoding(match.encoding)
        if detected is not None:
            text = _try_decode(content, detected)
            if text is not None:
                return text, detected

    return content.decode("utf-8", errors="replace"), "utf-8"


def _cyrillic_single_byte(content: bytes) -> str | None:
    """"windows-1251" or "koi8-r" if the bytes read as Cyrillic text in it, else None.

    Cyrillic-looking: the non-ASCII characters are almost all Cyrillic letters or
    common punctuation (none of it inside words), words do not mix Cyrillic and Latin
    letters, hardly any word switches to capitals after its first letter, and letter
    frequencies are those of a Slavic language. windows-1251 wins unless KOI8-R reads
    better; KOI8-R is taken only for mostly lower-case text (an all-capitals KOI8-R
    reading is what Hebrew or Greek bytes give, so those are left to the detector).
    """
    sample = _ASCII_RUN.sub(b"\n", content)[:_CYRILLIC_SAMPLE_BYTES]
    scores: dict[str, tuple[float, float] | None] = {}
    for name, codec in (("windows-1251", "cp1251"), ("koi8-r", "koi8_r")):
        try:
            scores[name] = _cyrillic_score(sample.decode(codec))
        except UnicodeDecodeError:  # 0x98 is the one byte windows-1251 lacks
            scores[name] = None
    cp1251, koi8 = scores["windows-1251"], scores["koi8-r"]
    if cp1251 is not None and cp1251[0] >= _CYRILLIC_MIN_SCORE:
        if koi8 is None or koi8[0] < cp1251[0]:
            return "windows-1251"
    if koi8 is not None and koi8[0] >= _CYRILLIC_MIN_SCORE and koi8[1] >= 0.5:
        if cp1251 is None or cp1251[0] < koi8[0]:
            return "koi8-r"
    return None


def _cyrillic_score(text: str) -> tuple[float, float] | None:
    """(mean log letter frequency, share of lower case) if ``text`` looks Cyrillic."""
    letters = [c for c in text if "\u0400" <= c <= "\u04ff"]
    if len(letters) < _CYRILLIC_MIN_LETTERS:
        return None
    non_ascii = sum(1 for c in text if c > "\x7f")
    odd = sum(
        1
        for c in text
        if (c > "\x7f" and not "\u0400" <= c <= "\u04ff" and c not in _CYRILLIC_PUNCT)
        or (c < " " and c not in "\t\n\r\f")
    )
    # Punctuation between two letters (Korean read as windows-1251: "°\xadИ\xadЗП±в·О").
    odd += len(_PUNCT_IN_WORD.findall(text))
    if odd > non_ascii * _MAX_ODD_SHARE:
        return None
    words = [w for w in _WORD.findall(text) if any("\u0400" <= c <= "\u04ff" for c in w)]
    mixed = sum(1 for w in words if any(c.isascii() for c in w))
    if mixed > len(words) * _MAX_MIXED_WORD_SHARE:
        return None
    # KOI8-R read as windows-1251 (or the reverse) swaps the case of most letters.
    switching = sum(1 for w in words if _CASE_SWITCH.search(w))
    if switching > len(words) * _MAX_CASE_SWITCH_SHARE:
        return None
    log_freq = sum(_CYRILLIC_LOG_FREQ.get(c.lower(), _RARE_LOG_FREQ) for c in letters)
    lower = sum(1 for c in letters if c.islower())
    return log_freq / len(letters), lower / len(letters)


def _try_decode(content: bytes, name: str) -> str | None:
    try:
        return content.decode(_DECODER.get(name, name))
    except (UnicodeDecodeError, LookupError):
        return None


def _header_charset(content_type: str | None) -> str | None:
    if not content_type:
        return None
    match = _HEADER_CHARSET.search(content_type)
    return match.group(1) if match else None


def _prescan_charset(content: bytes) -> str | None:
    # latin-1 maps bytes 1:1, so ASCII markup is readable whatever the real encoding.
    head = content[:_PRESCAN_BYTES].decode("latin-1")
    xml = _XML_DECL.match(head)
    if xml:
        return _ascii_compatible(xml.group(1))
    head = _COMMENT.sub("", head)
    for tag in _META_TAG.findall(head):
        match = _META_CHARSET.search(tag)
        if match:
            return _ascii_compatible(match.group(1))
    return None


def _ascii_compatible(label: str) -> str:
    # If we could read the declaration as ASCII the page is not UTF-16/32 (WHATWG rule).
    if label.lower().replace("_", "-").startswith(("utf-16", "utf-32", "ucs-2", "unicode")):
        return "utf-8"
    return label

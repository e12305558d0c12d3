"""decode_body: BOM, then header, then meta, then detection; bad labels are skipped."""

from __future__ import annotations

import codecs

import pytest

from scrapers.fetch.encoding import decode_body, normalise_encoding

CYRILLIC = "Министар спољних послова Ивица Дачић примио је амбасадора Русије у Београду."
LATIN = "Šef srpske diplomatije Dačić razgovarao je sa Đurićem o saradnji."


@pytest.mark.parametrize(
    ("label", "name"),
    [
        ("cp1251", "windows-1251"),
        ("Windows-1251", "windows-1251"),
        ("x-cp1251", "windows-1251"),
        ("UTF8", "utf-8"),
        ('"utf-8"', "utf-8"),
        ("latin-1", "windows-1252"),
        ("ISO-8859-1", "windows-1252"),
        ("us-ascii", "windows-1252"),
        ("iso-8859-5", "iso-8859-5"),
        ("koi8-r", "koi8-r"),
        ("x-mac-cyrillic", "x-mac-cyrillic"),
        ("gb2312", "gbk"),
        ("shift-jis", "shift_jis"),
        ("no-such-charset", None),
        ("", None),
        (None, None),
        # Python codecs that are not web encodings must never be used on a page.
        ("utf-7", None),
        ("unicode_escape", None),
        ("base64", None),
        ("rot13", None),
    ],
)
def test_normalise_encoding(label, name):
    assert normalise_encoding(label) == name


@pytest.mark.parametrize(
    ("bom", "codec", "name"),
    [
        (codecs.BOM_UTF8, "utf-8", "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le", "utf-16le"),
        (codecs.BOM_UTF16_BE, "utf-16-be", "utf-16be"),
        (codecs.BOM_UTF32_LE, "utf-32-le", "utf-32le"),
        (codecs.BOM_UTF32_BE, "utf-32-be", "utf-32be"),
    ],
)
def test_bom_wins_over_header_and_is_stripped(bom, codec, name):
    text, encoding = decode_body(bom + CYRILLIC.encode(codec), "text/html; charset=windows-1251")
    assert (text, encoding) == (CYRILLIC, name)


def test_header_charset_used():
    russian = "Министр иностранных дел Сергей Лавров провёл переговоры."
    body = russian.encode("koi8-r")
    assert decode_body(body, 'text/html; charset="KOI8-R"') == (russian, "koi8-r")


def test_header_beats_meta():
    body = f'<meta charset="utf-8"><p>{CYRILLIC}</p>'.encode("cp1251")
    text, encoding = decode_body(body, "text/html; charset=windows-1251")
    assert encoding == "windows-1251" and CYRILLIC in text


def test_wrong_header_charset_falls_through_to_meta():
    # Detection alone would call this windows-1257: only the meta tag gets it right.
    body = f'<meta charset="iso-8859-2"><p>{LATIN}</p>'.encode("iso8859_2")
    text, encoding = decode_body(body, "text/html; charset=utf-8")
    assert encoding == "iso-8859-2" and LATIN in text


def test_unknown_header_charset_skipped():
    body = f"<p>{CYRILLIC}</p>".encode()
    assert decode_body(body, "text/html; charset=x-klingon") == (f"<p>{CYRILLIC}</p>", "utf-8")


def test_utf7_label_not_honoured():
    # "+ADw-script+AD4-" is <script> in UTF-7; decoding it would smuggle markup in.
    body = b"<p>+ADw-script+AD4-alert(1)+ADw-/script+AD4-</p>"
    text, _ = decode_body(body, "text/html; charset=utf-7")
    assert "<script>" not in text and "+ADw-script" in text


def test_meta_http_equiv():
    # Detection on a title this short is a guess (Shift_JIS, once); the meta settles it.
    body = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1251">'
        "<title>Дачић</title></head></html>"
    ).encode("cp1251")
    text, encoding = decode_body(body, None)
    assert encoding == "windows-1251" and "<title>Дачић</title>" in text


def test_meta_in_comment_ignored():
    body = '<!-- <meta charset="koi8-r"> --><meta charset="windows-1251"><b>Дачић</b>'
    assert decode_body(body.encode("cp1251"), "text/html")[1] == "windows-1251"


def test_meta_beyond_first_4kb_ignored():
    # A late meta is not honoured (browsers do the same); detection still gets it right.
    body = (" " * 5000 + f'<meta charset="koi8-r"><p>{CYRILLIC}').encode("cp1251")
    assert decode_body(body, None)[1] == "windows-1251"


def test_xml_declaration():
    body = '<?xml version="1.0" encoding="windows-1251"?><rss><title>Дачић</title></rss>'
    text, encoding = decode_body(body.encode("cp1251"), "application/rss+xml")
    assert encoding == "windows-1251" and "<title>Дачић</title>" in text


def test_meta_claiming_utf16_means_utf8():
    body = f'<meta charset="utf-16"><p>{CYRILLIC}</p>'.encode()
    assert decode_body(body, None) == (f'<meta charset="utf-16"><p>{CYRILLIC}</p>', "utf-8")


def test_undeclared_utf8_and_ascii():
    assert decode_body(CYRILLIC.encode(), None) == (CYRILLIC, "utf-8")
    assert decode_body(b"plain ascii", None) == ("plain ascii", "utf-8")
    assert decode_body(b"", "text/html") == ("", "utf-8")


def test_undeclared_windows_1251_detected():
    body = f"<html><body><p>{CYRILLIC} {CYRILLIC}</p></body></html>".encode("cp1251")
    text, encoding = decode_body(body, "text/html")
    assert encoding == "windows-1251" and CYRILLIC in text


def test_latin1_label_decodes_as_windows_1252():
    # 0x93/0x94 are curly quotes in windows-1252 but C1 controls in ISO-8859-1.
    body = b"\x93Statement\x94 \xe9"
    assert decode_body(body, "text/html; charset=ISO-8859-1") == ("“Statement” é", "windows-1252")


# Short pages without any declaration: too little text for the detector, which used to
# answer Shift_JIS or windows-1250 for Cyrillic bytes like these.
SHORT_WINDOWS_1251 = [
    "<title>Саопштење</title>",
    "<title>Дачић</title>",
    "<h1>САОПШТЕЊЕ ЗА ЈАВНОСТ</h1>",
    "<p>Београд, 12. март – Министар Дачић је примио „амбасадора“ Русије.</p>",
    "<title>Заявление МИД России</title>",
    "<p>О телефонном разговоре Министра иностранных дел России с Госсекретарём США</p>",
    "<p>Міністр закордонних справ України провів переговори з колегою з Польщі</p>",
    "<p>Министърът на външните работи на България проведе среща</p>",
    "<p>Министерот за надворешни работи се сретна со својот колега</p>",
]


@pytest.mark.parametrize("text", SHORT_WINDOWS_1251)
def test_short_undeclared_windows_1251(text):
    body = text.encode("cp1251")
    assert len(body) <= 200
    assert decode_body(body, "text/html") == (text, "windows-1251")


@pytest.mark.parametrize(
    "text",
    [
        "<title>Заявление МИД России</title>",
        "<p>Лавров провёл переговоры с главой МИД Сербии</p>",
        "Министр иностранных дел Сергей Лавров провёл переговоры.",
    ],
)
def test_short_undeclared_koi8_r(text):
    assert decode_body(text.encode("koi8-r"), None) == (text, "koi8-r")


@pytest.mark.parametrize(
    ("text", "codec"),
    [
        ("日本の外務大臣は本日、声明を発表した。", "shift_jis"),
        (
            "日本の外務大臣は本日、声明を発表した。両国の関係について協議を行い、"
            "経済協力の強化で一致した。",
            "shift_jis",
        ),
        ("외교부 장관은 오늘 기자회견을 열고 양국 관계에 대해 논의했다고 밝혔다.", "euc_kr"),
        ("外交部发言人今天就国际形势发表谈话。中方愿同各方加强合作。", "gb18030"),
        ("Ο Υπουργός Εξωτερικών συναντήθηκε σήμερα με τον ομόλογό του από τη Σερβία.", "cp1253"),
        ("שר החוץ נפגש היום עם עמיתו מסרביה. השניים דנו ביחסים הדו-צדדיים.", "cp1255"),
        ("Šef srpske diplomatije Ivica Dačić razgovarao je sa Đurićem o saradnji.", "cp1250"),
        ("Der Außenminister hat heute seinen serbischen Amtskollegen empfangen.", "cp1252"),
    ],
    ids=["ja-short", "ja", "ko", "zh", "el", "he", "sr-latn", "de"],
)
def test_other_undeclared_scripts_not_taken_for_cyrillic(text, codec):
    # Their bytes read as windows-1251 give Cyrillic letters too; they must not win.
    assert decode_body(text.encode(codec), None)[0] == text

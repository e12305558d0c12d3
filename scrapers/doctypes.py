"""One vocabulary of document types across ministries.

Each ministry labels its documents its own way ("Press Statement", "Media Note",
"news_story", "Комментарий"); journalists filter by one list.
"""

from __future__ import annotations

DOC_TYPES = (
    "statement", "press release", "readout", "briefing", "speech", "interview",
    "joint statement", "news", "article", "comment", "other",
)

# Exact labels seen on ministry sites and APIs, lower-cased.
_KNOWN = {
    "press statement": "statement",
    "statement": "statement",
    "statements": "statement",
    "statement_to_parliament": "statement",
    "oral_statement": "statement",
    "written_statement": "statement",
    "official statement": "statement",
    "media note": "press release",
    "press release": "press release",
    "press_release": "press release",
    "notice": "press release",
    "readout": "readout",
    "briefing": "briefing",
    "press briefing": "briefing",
    "department press briefing": "briefing",
    "regular press conference": "briefing",
    "remarks": "speech",
    "remarks to the press": "speech",
    "speech": "speech",
    "speeches": "speech",
    "interview": "interview",
    "interviews": "interview",
    "joint statement": "joint statement",
    "news": "news",
    "news_story": "news",
    "news story": "news",
    "world_news_story": "news",
    "article": "article",
    "op-ed": "article",
    "comment": "comment",
    "correspondence": "other",
    "guidance": "other",
}

# Keywords checked in order when a label is not known exactly: the first hit wins.
_KEYWORDS = (
    ("joint statement", "joint statement"),
    ("readout", "readout"),
    ("briefing", "briefing"),
    ("press conference", "briefing"),
    ("брифинг", "briefing"),
    ("interview", "interview"),
    ("интервью", "interview"),
    ("интервју", "interview"),
    ("remarks", "speech"),
    ("speech", "speech"),
    ("address", "speech"),
    ("выступление", "speech"),
    ("statement", "statement"),
    ("заявление", "statement"),
    ("саопштење", "statement"),
    ("saopštenje", "statement"),
    ("release", "press release"),
    ("media note", "press release"),
    ("comment", "comment"),
    ("комментарий", "comment"),
    ("news", "news"),
    ("новости", "news"),
    ("вести", "news"),
)


def normalise_doc_type(raw: str | None, source_map: dict[str, str], default: str) -> str:
    """Map a ministry's own label to our vocabulary; `default` when it says nothing usable."""
    if not raw or not raw.strip():
        return default
    label = " ".join(raw.split())
    if label in source_map:
        return source_map[label]
    lowered = label.lower()
    lowered_map = {k.lower(): v for k, v in source_map.items()}
    if lowered in lowered_map:
        return lowered_map[lowered]
    if lowered in _KNOWN:
        return _KNOWN[lowered]
    for keyword, doc_type in _KEYWORDS:
        if keyword in lowered:
            return doc_type
    return default

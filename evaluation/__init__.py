"""The evaluation sets: annotated texts the quality commands score extraction against.

- `GOLDEN`: the expected record of every article of the bundled sites (`demo/sites/`), one
  file per source (`<source>.json`), and under `events/` the golden events
  (`events.json`, the readouts of one event and the versions of one text among those
  articles) and the encounter pairs of the unseen set (`unseen.json`). Written, with the
  site copies, by the fixture renderers `tests/fixtures/build_<source>.py` from the
  article texts in `tests/fixtures/articles/`; the tests crawl the sites and compare.
  `communiques entities-quality --set fixtures` scores officials, countries and events.
- `UNSEEN`: communiqués naming officials the registry does not know
  (`entities-unseen/README.md`); `communiques entities-quality --set unseen`.
- `READOUTS`: readouts in the four languages with their annotated encounter pairs
  (`readouts/README.md`); `communiques entities-quality --set readouts`.
- `EXTRACTION`: article pages of many kinds of sites with their annotated title, date,
  language and body (`extraction/README.md`); `communiques extract-quality`.
- `EXTRACTION_LATER`: pages of the same kind written after the extractor's rules
  (`extraction-later/README.md`); `communiques extract-quality evaluation/extraction-later`.

They are package data (pyproject's `[tool.setuptools.package-data]`), so an installed
`communiques` finds them here, beside this module, as a checkout does; no command reads
from `tests/`.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent

GOLDEN = HERE / "golden"
UNSEEN = HERE / "entities-unseen" / "communiques.json"
EXTRACTION = HERE / "extraction"
EXTRACTION_LATER = HERE / "extraction-later"
# Encounter extraction on readouts written apart from the rules (readouts/README.md).
READOUTS = HERE / "readouts"

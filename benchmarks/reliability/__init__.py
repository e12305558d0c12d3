"""`make reliability`: fuzz every route, kill writers mid-run, search during rebuilds, load
the API past its result cache, and push an XSS corpus through every page in Chromium.

    python -m benchmarks.reliability                    # every stage; writes docs/reliability.md
    python -m benchmarks.reliability --stage fuzz --fuzz-requests 300   # one quick stage

Each stage is a module with a `run(...)` returning JSON-able figures and a `passed` flag;
`run.py` orchestrates them and `report.py` turns the figures into docs/reliability.md.
"""

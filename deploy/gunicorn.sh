#!/bin/sh
# Serving with gunicorn (waitress stays the default of `communiques serve`): two worker
# processes, each reading the index read-only and picking up new generations by itself.
exec .venv/bin/gunicorn --workers 2 --threads 4 --bind 127.0.0.1:5000 "webapp:create_app()"

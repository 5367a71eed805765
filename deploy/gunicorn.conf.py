"""Gunicorn settings: one process with threads fits a Raspberry Pi; raise workers on bigger hosts."""

import os

workers = int(os.environ.get("WEB_WORKERS", "1"))
threads = int(os.environ.get("WEB_THREADS", "8"))
worker_class = "gthread"
timeout = 120
graceful_timeout = 20
keepalive = 5
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# Dash pages and the data layer import pandas and numpy; load once per worker after fork.
preload_app = False

"""What the edge processes' command lines share: arguments, logging, configuration errors, stopping on signals."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Callable
from typing import Any

from ingest.config import ConfigError

logger = logging.getLogger("ingest")


def configure_logging(level: str = "INFO") -> None:
    """Log to stderr with timestamps; asyncua's and httpx's chatter only from warnings up."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    logging.getLogger("asyncua").setLevel(logging.ERROR)
    logging.getLogger("httpx").setLevel(logging.WARNING)


def arguments(prog: str, doc: str, argv: list[str] | None, config_required: bool = True,
              more: Callable[[argparse.ArgumentParser], None] | None = None) -> argparse.Namespace:
    """Parse --config, --log-level (and more), and set up logging."""
    parser = argparse.ArgumentParser(prog=prog, description=doc.strip().splitlines()[0])
    parser.add_argument("--config", required=config_required, help="TOML configuration file (see README 'Ingest')")
    parser.add_argument("--log-level", default="INFO")
    if more is not None:
        more(parser)
    args = parser.parse_args(argv)
    configure_logging(args.log_level.upper())
    return args


def load(loader: Callable[[str], Any], path: str) -> Any | None:
    """The configuration, or None after logging what is wrong with it."""
    try:
        return loader(path)
    except ConfigError as exc:
        logger.error("%s", exc)
        return None


def stop_on_signals(stop: asyncio.Event) -> None:
    """Set stop on SIGINT and SIGTERM (call inside the running loop)."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

"""Entry point of the worker process: `python -m workers [--workers N]`."""

from __future__ import annotations

import argparse
import logging

from config import get_config
from workers.consumer import make_consumer


def main() -> None:
    """Parse arguments, build the app context for tasks, and run the consumer until stopped."""
    parser = argparse.ArgumentParser(description="Run the background worker (Huey consumer).")
    parser.add_argument("--workers", type=int, default=2, help="worker threads (default 2)")
    args = parser.parse_args()
    logging.basicConfig(level=get_config().log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    make_consumer(args.workers).run()


if __name__ == "__main__":
    main()

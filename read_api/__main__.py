"""``python -m read_api [--host H] [--port P]``: serve the read API with uvicorn (one worker)."""
from __future__ import annotations

import argparse
import logging

import uvicorn


def main() -> None:
    parser = argparse.ArgumentParser(description="Carbon Stream read API")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args()
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    uvicorn.run("read_api.app:create_app", factory=True, host=args.host, port=args.port, log_level=args.log_level)


if __name__ == "__main__":
    main()

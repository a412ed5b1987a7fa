"""``python -m ingest_api [--host H] [--port P] [--processes N]``: serve the ingest API (see ingest_api.server)."""
from __future__ import annotations

import argparse
import logging
import sys

from carbon_stream.settings import get_settings
from ingest_api.server import listening_socket, serve, serve_processes


def main() -> None:
    parser = argparse.ArgumentParser(description="Carbon Stream ingest API")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--processes", type=int, default=get_settings().ingest_api_processes,
                        help="server processes sharing the port (default: CS_INGEST_API_PROCESSES)")
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args()
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.processes < 1:
        parser.error("--processes must be at least 1")
    if args.processes == 1:
        serve(listening_socket(args.host, args.port), args.log_level)
        return
    sys.exit(serve_processes(args.host, args.port, args.log_level, args.processes))


if __name__ == "__main__":
    main()

"""The ``webgrad`` command line.

    $ webgrad serve --port 8000 --logdir runs
"""
from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="webgrad", description="webgrad: deep learning on WebGPU.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the console and the core for the browser")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--logdir", default="runs", help="the runs' event files: the dashboard at /runs reads them, "
                                                         "the pages' posts write them (default: runs)")
    args = parser.parse_args(argv)

    if args.command == "serve":
        from .app import SetupError, create_app
        try:
            app = create_app(logdir=args.logdir)
        except SetupError as e:
            print(f"webgrad serve: {e}", file=sys.stderr)
            return 2
        import uvicorn
        base = f"http://{args.host}:{args.port}"
        print(f"webgrad: playground at {base}/, console at {base}/console, runs of {args.logdir} at {base}/runs",
              flush=True)
        uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())

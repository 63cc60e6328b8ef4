"""`python -m devstack run | provision | fire NAME | redrive QUEUE` (see `make run`, `make provision`,
`make fire`, `make redrive`)."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path
from types import FrameType

from devstack import env


def _logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO, format="%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S"
    )
    for noisy in ("botocore", "boto3", "urllib3", "pynamodb", "werkzeug"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def run(args: argparse.Namespace) -> int:
    from devstack.stack import Stack, banner

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    stack = Stack(
        env.Ports.from_env(),
        state_dir=args.state_dir,
        demo=args.demo,
        autoreload=args.autoreload,
        write_config=args.state_dir == env.STATE_DIR,
    )
    try:
        info = stack.start()
        print(banner(info), flush=True)
        while not stop.wait(1.0):
            if not stack.api_alive():
                logging.getLogger("devstack").error("chalice local exited; stopping")
                return 1
    finally:
        print("stopping the devstack ...", flush=True)
        stack.stop()
    return 0


def provision(args: argparse.Namespace) -> int:
    """Provision a running emulator (idempotent)."""
    endpoint = f"http://127.0.0.1:{env.Ports.from_env().aws}"
    env.apply_environment(env.stage_environment() | env.aws_environment(endpoint))
    from devstack.provision import provision as provision_all

    print(json.dumps(provision_all(endpoint).as_dict(), indent=2))
    return 0


def web_url(state_dir: Path) -> str:
    """The running devstack's web site: from its stack.json, else the port in the environment."""
    ready = state_dir / "stack.json"
    if ready.exists():
        return str(json.loads(ready.read_text())["web_url"])
    return f"http://127.0.0.1:{env.Ports.from_env().web}"


def fire(args: argparse.Namespace) -> int:
    """Ask the running devstack's event runtime to fire a scheduled handler now."""
    url = f"{args.web_url or web_url(args.state_dir)}/_devstack/fire/{args.handler}"
    request = urllib.request.Request(url, method="POST", data=b"")
    try:
        with urllib.request.urlopen(request, timeout=300) as response:
            body, ok = response.read(), True
    except urllib.error.HTTPError as exc:
        body, ok = exc.read(), False
    except urllib.error.URLError as exc:
        print(f"cannot reach the devstack at {url} ({exc.reason}); is `make run` running?", file=sys.stderr)
        return 2
    print(json.dumps(json.loads(body), indent=2))
    return 0 if ok else 1


def aws_url(state_dir: Path) -> str:
    """The running devstack's emulator: from its stack.json, else the port in the environment."""
    ready = state_dir / "stack.json"
    if ready.exists():
        return str(json.loads(ready.read_text())["aws_url"])
    return f"http://127.0.0.1:{env.Ports.from_env().aws}"


def redrive(args: argparse.Namespace) -> int:
    """Move a queue's dead-lettered messages back to it (the running devstack's emulator)."""
    env.apply_environment(env.stage_environment())
    from devstack.redrive import queue_name
    from devstack.redrive import redrive as move

    endpoint = args.endpoint or aws_url(args.state_dir)
    try:
        name = queue_name(args.queue)
    except KeyError as exc:
        print(exc.args[0], file=sys.stderr)
        return 2
    try:
        moved = move(endpoint, name, limit=args.limit)
    except Exception as exc:  # the emulator is not running, or the queue does not exist there
        print(f"cannot redrive {name} at {endpoint}: {exc}; is `make run` running?", file=sys.stderr)
        return 2
    print(json.dumps(moved.as_dict(), indent=2))
    return 0


def main(argv: list[str] | None = None) -> int:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-v", "--verbose", action="store_true")
    common.add_argument("--state-dir", type=Path, default=env.STATE_DIR, help="stack.json and the inbox files")
    parser = argparse.ArgumentParser(prog="python -m devstack", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", parents=[common], help="the whole system, in the foreground")
    run_parser.add_argument("--no-demo", dest="demo", action="store_false", help="no demo data")
    run_parser.add_argument(
        "--no-autoreload",
        dest="autoreload",
        action="store_false",
        help="no restart of the API and handlers on code changes",
    )
    run_parser.set_defaults(func=run)
    commands.add_parser("provision", parents=[common], help="provision a running emulator").set_defaults(func=provision)
    fire_parser = commands.add_parser("fire", parents=[common], help="fire a scheduled handler now")
    fire_parser.add_argument("handler")
    fire_parser.add_argument("--web-url", help="the devstack's web site (default: from .devstack/stack.json)")
    fire_parser.set_defaults(func=fire)
    redrive_parser = commands.add_parser("redrive", parents=[common], help="move a queue's DLQ messages back to it")
    redrive_parser.add_argument("queue", help="queue key (resources.QUEUES) or name")
    redrive_parser.add_argument("--limit", type=int, help="move at most this many")
    redrive_parser.add_argument("--endpoint", help="the emulator (default: from .devstack/stack.json)")
    redrive_parser.set_defaults(func=redrive)
    args = parser.parse_args(argv)
    _logging(args.verbose)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())

"""The whole system on loopback: emulator, provisioning, API, event runtime, web site, inbox.

`Stack` runs it in this process (it sets this process's environment, as a Lambda's would be):
that is `python -m devstack run`. `StackProcess` runs the same thing as a child process and is
what tests use, so the test process's own environment stays untouched.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from devstack import env
from devstack.emulator import Emulator
from devstack.env import PROJECT_DIR, REGION, Ports
from devstack.inbox import Inbox
from devstack.runtime import EventRuntime, Resolver, describe, discover
from devstack.stepfunctions import LambdaDispatcher
from devstack.web import Site, WebServer, config_js

log = logging.getLogger("devstack")

# `chalice local` with a larger listen backlog (see devstack/chalice_local.py).
CHALICE = [sys.executable, "-m", "devstack.chalice_local"]


@dataclass
class StackInfo:
    """Where everything is; written to `<state dir>/stack.json` once the stack is ready."""

    web_url: str
    api_url: str
    aws_url: str
    user_pool_id: str
    client_id: str
    jwks_url: str
    users: list[dict[str, Any]] = field(default_factory=list)
    handlers: list[str] = field(default_factory=list)
    pid: int = field(default_factory=os.getpid)
    startup_seconds: float = 0.0
    startup_phases: dict[str, float] = field(default_factory=dict)

    @property
    def inbox_url(self) -> str:
        return f"{self.web_url}/_inbox"


def wait_http(url: str, timeout: float, alive: Any = None) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status < 500:
                    return
        except OSError:
            pass
        if alive is not None and not alive():
            raise RuntimeError(f"the process serving {url} exited")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{url} did not answer within {timeout:.0f}s")
        time.sleep(0.2)


class Stack:
    """Starts everything on the given ports; a context manager."""

    def __init__(
        self,
        ports: Ports,
        *,
        state_dir: Path = env.STATE_DIR,
        demo: bool = True,
        autoreload: bool = False,
        write_config: bool = False,
        api_log: IO[Any] | None = None,
    ) -> None:
        self.ports = ports
        self.state_dir = state_dir
        self.demo = demo
        self.autoreload = autoreload
        self.write_config = write_config
        self.api_log = api_log
        self.emulator = Emulator(port=ports.aws)
        self.api: subprocess.Popen[bytes] | None = None
        self.runtime: EventRuntime | None = None
        self.inbox: Inbox | None = None
        self.web: WebServer | None = None
        self.info: StackInfo | None = None
        self._stopping = threading.Event()
        self._reloading = threading.Event()

    def start(self) -> StackInfo:
        try:
            return self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> StackInfo:
        started = time.monotonic()
        phases: dict[str, float] = {}

        def phase(name: str, since: list[float] = [started]) -> None:  # noqa: B006  (the clock, shared)
            now = time.monotonic()
            phases[name] = round(now - since[0], 2)
            since[0] = now

        self.state_dir.mkdir(parents=True, exist_ok=True)
        (self.state_dir / "stack.json").unlink(missing_ok=True)
        self.emulator.start()
        phase("emulator")
        endpoint = self.emulator.url
        env.apply_environment(
            env.stage_environment(ports=self.ports) | env.aws_environment(endpoint) | env.port_environment(self.ports)
        )

        from devstack.provision import app_environment, local_names, provision

        provisioned = provision(endpoint)
        phase("provisioning")
        env.apply_environment(app_environment(endpoint, provisioned))
        from chalicelib.core.config import reset_settings

        reset_settings()

        self.inbox = Inbox(self.state_dir / "inbox").start()
        self._start_api()
        api_url = f"http://127.0.0.1:{self.ports.api}"

        # The runtime imports app.py here, with the same environment `chalice local` gives it.
        sys.path.insert(0, str(PROJECT_DIR))
        app = importlib.import_module("app").app
        tables, queues, _ = local_names()
        sources = discover(app, Resolver(endpoint, tables, queues), stage=env.STAGE)
        self.runtime = EventRuntime(app, sources, endpoint, stage=env.STAGE).start()
        from chalicelib.core.resources import STATE_MACHINES

        if STATE_MACHINES:  # Step Functions' Lambda tasks -> the app's functions, in this process
            LambdaDispatcher(self.runtime).install()
        phase("event runtime")

        shop = env.stage_environment(ports=self.ports)
        config = config_js(
            REGION,
            provisioned.user_pool_id,
            provisioned.client_id,
            shop_name=shop.get("SHOP_NAME", "Stockroom"),
            currency=shop.get("SHOP_CURRENCY", "USD"),
        )
        if self.write_config:
            (PROJECT_DIR / "web" / "config.js").write_text(config)
        site = Site(
            PROJECT_DIR / "web", self.ports.api, self.emulator.port, config, self.inbox, self.fire, self.ports.web
        )
        self.web = WebServer(site, port=self.ports.web).start()

        wait_http(f"{api_url}/health", 90, alive=lambda: self.api is not None and self.api.poll() is None)
        phase("API (waiting for chalice local)")
        if self.demo:
            from devstack import demo

            demo.seed()
            phase("demo data")
        self.info = StackInfo(
            web_url=self.web.url,
            api_url=api_url,
            aws_url=endpoint,
            user_pool_id=provisioned.user_pool_id,
            client_id=provisioned.client_id,
            jwks_url=provisioned.jwks_url,
            users=[{"email": u.email, "password": u.password, "groups": list(u.groups)} for u in provisioned.users],
            handlers=describe(sources),
        )
        if self.autoreload:
            threading.Thread(target=self._watch, name="reloader", daemon=True).start()
        self.info.startup_seconds = round(time.monotonic() - started, 2)
        self.info.startup_phases = phases
        log.info("up in %.1f s (%s)", self.info.startup_seconds, ", ".join(f"{k} {v} s" for k, v in phases.items()))
        ready = self.state_dir / "stack.json"
        ready.with_suffix(".tmp").write_text(json.dumps(self.info.__dict__, indent=2))
        ready.with_suffix(".tmp").replace(ready)  # atomically: its appearance means "ready"
        return self.info

    def _start_api(self) -> None:
        command = [
            *CHALICE,
            "--project-dir",
            str(PROJECT_DIR),
            "local",
            "--stage",
            env.STAGE,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.ports.api),
        ]
        # No chalice reloader: it stats every file under the project (.venv included) each second
        # and restarts on any change (inbox files, git, caches). `_watch` reloads on code only.
        command.append("--no-autoreload")
        # Its own process group, so stopping it stops anything it started.
        self.api = subprocess.Popen(
            command,
            cwd=PROJECT_DIR,
            env=dict(os.environ),
            start_new_session=True,
            stdout=self.api_log,
            stderr=subprocess.STDOUT if self.api_log else None,
        )

    def _stop_api(self) -> None:
        api, self.api = self.api, None
        if api is not None and api.poll() is None:
            for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
                try:
                    os.killpg(api.pid, sig)
                    api.wait(wait)
                    break
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    continue

    def api_alive(self) -> bool:
        return self._reloading.is_set() or (self.api is not None and self.api.poll() is None)

    def _watch(self) -> None:
        """On a change to the app's code or config: restart the API, swap the runtime's app.

        The runtime keeps its positions in streams and queues; only the handlers are new.
        """
        snapshot = _code_mtimes()
        while not self._stopping.wait(1.0):
            current = _code_mtimes()
            if current == snapshot:
                continue
            snapshot = current
            log.info("code changed: restarting the API and reloading the event handlers")
            self._reloading.set()
            try:
                self._stop_api()
                self._start_api()
                for name in [m for m in sys.modules if m == "app" or m.startswith("chalicelib")]:
                    del sys.modules[name]
                app = importlib.import_module("app").app
                if self.runtime is not None:
                    self.runtime.app = app
                wait_http(
                    f"http://127.0.0.1:{self.ports.api}/health",
                    60,
                    alive=lambda: self.api is not None and self.api.poll() is None,
                )
            except Exception:  # a syntax error must not end the devstack
                log.exception("reload failed; fix the code and save again")
            finally:
                self._reloading.clear()

    def fire(self, name: str) -> dict[str, Any]:
        """Fire a scheduled handler now; the outcome as JSON-able data."""
        if self.runtime is None:
            raise KeyError("the event runtime is not running")
        invocation = self.runtime.fire(name)
        return {
            "handler": name,
            "ok": invocation.ok,
            "requestId": invocation.request_id,
            "result": invocation.result,
            "error": invocation.error,
        }

    def stop(self) -> None:
        for part in (self.web, self.runtime, self.inbox):
            if part is not None:
                part.stop()
        self._stopping.set()
        self._stop_api()
        self.emulator.stop()
        (self.state_dir / "stack.json").unlink(missing_ok=True)

    def __enter__(self) -> StackInfo:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _code_mtimes() -> dict[Path, float]:
    """What `chalice local` loads: app.py, chalicelib/ (code and templates), .chalice/config.json."""
    paths = [PROJECT_DIR / "app.py", PROJECT_DIR / ".chalice" / "config.json"]
    paths += [p for p in (PROJECT_DIR / "chalicelib").rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    return {p: p.stat().st_mtime for p in paths if p.exists()}


def banner(info: StackInfo) -> str:
    users = "\n".join(
        f"    {u['email']:<24} password {u['password']}{'  (admin)' if 'admin' in u['groups'] else ''}"
        for u in info.users
    )
    handlers = "\n".join(f"    {line}" for line in info.handlers)
    scale = env.sqs_visibility_scale()
    if scale != 1:
        handlers += f"\n    (SQS visibility timeouts x {scale:g}: {env.SQS_VISIBILITY_SCALE})"
    return f"""
  Stockroom devstack is up
  ------------------------
  Web site        {info.web_url}/
  API             {info.api_url}/        (also {info.web_url}/api/)
  Inbox           {info.web_url}/_inbox  (JSON: /_inbox.json, files: .devstack/inbox/)
  AWS emulator    {info.aws_url}         (AWS_ENDPOINT_URL; account 123456789012, {REGION})
  User pool       {info.user_pool_id}, app client {info.client_id}
  Demo accounts
{users}
  Event handlers
{handlers}
  Fire a schedule now:  make fire HANDLER=<name>      Stop: Ctrl-C
"""


class StackProcess:
    """`python -m devstack run` as a child process, ready when its stack.json appears."""

    def __init__(self, ports: Ports, state_dir: Path, *, demo: bool = False, log_file: Path | None = None) -> None:
        self.ports = ports
        self.state_dir = state_dir
        self.demo = demo
        self.log_file = log_file or state_dir / "devstack.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.info: StackInfo | None = None

    def start(self, timeout: float = 120) -> StackInfo:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        ready = self.state_dir / "stack.json"
        ready.unlink(missing_ok=True)
        child_env = dict(os.environ)
        child_env.update(
            STOCKROOM_AWS_PORT=str(self.ports.aws),
            STOCKROOM_API_PORT=str(self.ports.api),
            STOCKROOM_WEB_PORT=str(self.ports.web),
        )
        command = [sys.executable, "-m", "devstack", "run", "--state-dir", str(self.state_dir), "--no-autoreload"]
        if not self.demo:
            command.append("--no-demo")
        with open(self.log_file, "wb") as log_out:
            self.process = subprocess.Popen(
                command, cwd=PROJECT_DIR, env=child_env, stdout=log_out, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while not ready.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"devstack did not start; see {self.log_file}:\n{self.log_file.read_text()[-3000:]}")
            time.sleep(0.2)
        data = json.loads(ready.read_text())
        data.pop("pid", None)
        self.info = StackInfo(**data)
        return self.info

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)

    def __enter__(self) -> StackInfo:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

"""Start and stop a real, private, offline IPFS node (js-ipfs) for tests.

Why: everything that talks to IPFS is tested against a real node, never a mock
(see ARCHITECTURE.md, "Real components"). Kubo cannot be installed here, so we
run the npm ``ipfs`` package (js-ipfs 0.66.1, installed by ``scripts/setup``
into ``tools/ipfs``), whose daemon speaks the Kubo RPC API and serves a
read-only gateway.

Each :class:`IpfsNode` gets its own fresh repo and lets the OS choose its
ports (``/tcp/0``), then reads the ports the daemon actually bound from its
output. So any number of nodes can run side by side (pytest-xdist workers,
several nodes in one test) without any port-guessing race. The node is made
unable to reach anything: offline mode, no swarm listeners, empty bootstrap
list, no MDNS, no preload nodes, no gRPC server, loopback-only HTTP.

Only the standard library is used for HTTP, so this module adds no test
dependency and does not share code with the client under test.

Quirks of js-ipfs 0.66.1 worth knowing when you call :meth:`IpfsNode.rpc`:

* CIDv1 results come back in base58btc unless you pass ``cid-base=base32``
  (Kubo answers base32); pass it to ``add``, ``block/put``, ``block/stat``,
  ``pin/add``, ``pin/ls``...
* ``block/put`` honours ``format=raw`` (giving a CIDv1 ``raw`` block) but
  silently ignores Kubo's newer ``cid-codec=raw`` (it then stores the bytes
  under a dag-pb CIDv0): always use ``format=raw``.
* The gateway ignores ``?format=raw`` / ``?format=car`` and the
  ``Accept: application/vnd.ipld.raw`` header: it always serves the UnixFS
  file content. Fetch raw blocks with the RPC ``block/get`` instead.
* Even offline, asking for a block the node does not have (``block/get``,
  ``block/stat``, ``cat``, ``pin/add``, the gateway) waits forever instead of
  failing; pass ``timeout=5s`` in the query to get an HTTP 500 "request timed
  out" instead (the gateway has no such option: use a client-side timeout).
* ``dag/import`` (multipart CAR) pins the roots by default and answers
  ``{"Root": {"Cid": {"/": ...}, "PinErrorMsg": ""}}``; with
  ``pin-roots=false`` it answers an empty body.
* ``add`` holds the whole upload in memory (peak RSS about the file size:
  1.1 GB for 1 GiB, 9 s) and a 7.4 GiB add failed with EMFILE (too many open
  files, with a 20000 limit): keep files given to the node to a few GiB.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from .tools import jsipfs_bin, node_bin, require_tool

#: How long we give ``jsipfs daemon`` to become ready. It takes about 2 s (plus
#: about 2 s for ``jsipfs init``) on an idle machine and 10 s on a busy one; the
#: margin is for loaded CI machines running many xdist workers.
DEFAULT_STARTUP_TIMEOUT = 60.0

#: How long ``stop()`` waits after SIGTERM (js-ipfs usually closes its repo and
#: exits in well under a second) before it sends SIGKILL.
DEFAULT_STOP_TIMEOUT = 15.0

_API_RE = re.compile(r"^HTTP API listening on /ip4/([0-9.]+)/tcp/(\d+)/http", re.MULTILINE)
_GATEWAY_RE = re.compile(
    r"^Gateway \(read only\) listening on /ip4/([0-9.]+)/tcp/(\d+)/http", re.MULTILINE
)
_READY_LINE = "Daemon is ready"

# Loopback requests must never go through a proxy from the environment
# (http_proxy would otherwise be honoured by urllib, even for 127.0.0.1).
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))

_COPY_CHUNK = 1024 * 1024


class IpfsNodeError(RuntimeError):
    """The IPFS node could not be set up, did not start, or an RPC call failed."""


class IpfsNode:
    """A js-ipfs daemon with its own repo under ``workdir``; use as a context manager.

    ``workdir`` should be an empty temporary directory owned by the caller; the
    repo goes to ``workdir/repo`` (the daemon's ``IPFS_PATH``) and the daemon's
    output to ``workdir/daemon.stdout.log`` and ``workdir/daemon.stderr.log``.

    >>> with IpfsNode(tmp_path) as node:          # doctest: +SKIP
    ...     cid = node.add(some_file)
    """

    def __init__(
        self,
        workdir: Path,
        *,
        startup_timeout: float = DEFAULT_STARTUP_TIMEOUT,
        jsipfs: Path | None = None,
        node: Path | None = None,
    ) -> None:
        self.workdir = Path(workdir)
        self.repo_path = self.workdir / "repo"
        self.stdout_log = self.workdir / "daemon.stdout.log"
        self.stderr_log = self.workdir / "daemon.stderr.log"
        self.startup_timeout = startup_timeout
        self._jsipfs = jsipfs or jsipfs_bin()
        self._node = node or node_bin()
        self._process: subprocess.Popen[bytes] | None = None
        self._api_url: str | None = None
        self._gateway_url: str | None = None
        #: Seconds the last ``start()`` took from spawning the daemon to a first RPC answer.
        self.startup_seconds: float | None = None

    # -- lifecycle -----------------------------------------------------------------

    @classmethod
    def require_tools(cls) -> None:
        """Skip (or fail in CI) the calling test if js-ipfs or node is not installed."""
        require_tool(node_bin(), "node (Node.js >= 20)")
        require_tool(jsipfs_bin(), "js-ipfs (npm ipfs, tools/ipfs)")

    def start(self) -> Self:
        """Create and configure a fresh repo, start the daemon, wait until its RPC answers."""
        if self._process is not None:
            raise IpfsNodeError("IPFS node already started")
        if self._node is None or not self._jsipfs.exists():
            raise IpfsNodeError(
                f"js-ipfs is not installed (node={self._node}, jsipfs={self._jsipfs}); "
                "run scripts/setup"
            )
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._init_repo()
        self._configure_repo()
        self._spawn_and_wait()
        return self

    def stop(self) -> None:
        """Terminate the daemon's process group and wait for it; safe to call twice."""
        process, self._process = self._process, None
        self._api_url = self._gateway_url = None
        if process is None:
            return
        if process.poll() is None:
            self._signal_group(process, signal.SIGTERM)
            try:
                process.wait(timeout=DEFAULT_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._signal_group(process, signal.SIGKILL)
                process.wait(timeout=DEFAULT_STOP_TIMEOUT)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        """True while the daemon process is alive."""
        return self._process is not None and self._process.poll() is None

    @property
    def api_url(self) -> str:
        """Base URL of the Kubo-compatible RPC API, e.g. ``http://127.0.0.1:41234``."""
        if self._api_url is None:
            raise IpfsNodeError("IPFS node is not running")
        return self._api_url

    @property
    def gateway_url(self) -> str:
        """Base URL of the read-only HTTP gateway (``{gateway_url}/ipfs/<cid>``)."""
        if self._gateway_url is None:
            raise IpfsNodeError("IPFS node is not running")
        return self._gateway_url

    @property
    def env(self) -> dict[str, str]:
        """Environment for running ``jsipfs`` commands against this node's repo."""
        env = dict(os.environ)
        env["IPFS_PATH"] = str(self.repo_path)
        # Keep js-ipfs quiet and deterministic whatever the caller's shell has.
        env.pop("DEBUG", None)
        # The jsipfs CLI would otherwise spawn a detached process that asks the
        # npm registry for a newer ipfs once a week (update-notifier).
        env["NO_UPDATE_NOTIFIER"] = "1"
        return env

    # -- RPC -----------------------------------------------------------------------

    def rpc(
        self,
        command: str,
        params: Mapping[str, str | int | bool] | list[tuple[str, str]] | None = None,
        *,
        body: bytes | Iterator[bytes] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = 60.0,
    ) -> bytes:
        """POST ``/api/v0/<command>`` and return the raw response body.

        ``params`` become the query string (booleans as ``true``/``false``; a
        list of pairs allows repeated ``arg``). Raises :class:`IpfsNodeError`
        with the node's error message on a non-2xx answer.
        """
        url = f"{self.api_url}/api/v0/{command}"
        if params:
            items = params.items() if isinstance(params, Mapping) else params
            query = [(k, _param(v)) for k, v in items]
            url += "?" + urllib.parse.urlencode(query)
        request = urllib.request.Request(url, data=body, method="POST")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with _OPENER.open(request, timeout=timeout) as response:
                data: bytes = response.read()
                return data
        except urllib.error.HTTPError as err:
            detail = err.read().decode("utf-8", "replace").strip()
            raise IpfsNodeError(f"IPFS RPC {command} failed: HTTP {err.code}: {detail}") from err

    def rpc_json(self, command: str, *args: Any, **kwargs: Any) -> Any:
        """Like :meth:`rpc`, decoding the answer as one JSON value (the last one if NDJSON)."""
        lines = [line for line in self.rpc(command, *args, **kwargs).splitlines() if line.strip()]
        if not lines:
            raise IpfsNodeError(f"IPFS RPC {command} returned an empty answer")
        return json.loads(lines[-1])

    def rpc_upload(
        self,
        command: str,
        params: Mapping[str, str | int | bool] | None,
        data: Path | bytes,
        *,
        timeout: float = 600.0,
    ) -> bytes:
        """POST one file or byte string as the multipart ``file`` field of an RPC command.

        This is how ``add``, ``block/put`` and ``dag/import`` (a CAR) take their
        input. A file is streamed with an exact Content-Length, so files of any
        size go through without being loaded into memory.
        """
        size = data.stat().st_size if isinstance(data, Path) else len(data)
        boundary = f"----nit-test-{uuid.uuid4().hex}"
        head = (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="file"; filename="file"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode("ascii")
        tail = f"\r\n--{boundary}--\r\n".encode("ascii")

        def body() -> Iterator[bytes]:
            yield head
            if isinstance(data, Path):
                with data.open("rb") as fh:
                    while chunk := fh.read(_COPY_CHUNK):
                        yield chunk
            else:
                yield data
            yield tail

        return self.rpc(
            command,
            params,
            body=body(),
            headers={
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "Content-Length": str(len(head) + size + len(tail)),
            },
            timeout=timeout,
        )

    def add(self, path: Path | str, *, timeout: float = 600.0) -> str:
        """Add one file like ``ipfs add --cid-version=1`` and return its root CID (base32).

        Only ``cid-version=1`` is passed (plus ``cid-base=base32``, because
        js-ipfs answers base58btc by default): every other parameter is the
        node's default, which is what our Nids must match.
        """
        answer = self.rpc_upload(
            "add", {"cid-version": 1, "cid-base": "base32"}, Path(path), timeout=timeout
        )
        lines = [line for line in answer.splitlines() if line.strip()]
        cid = json.loads(lines[-1]).get("Hash") if lines else None
        if not isinstance(cid, str):
            raise IpfsNodeError(f"IPFS add of {path} gave no Hash: {answer!r}")
        return cid

    def gateway_get(self, cid_or_path: str, *, timeout: float = 60.0) -> bytes:
        """GET ``{gateway_url}/ipfs/<cid_or_path>`` and return the body (the file content)."""
        url = f"{self.gateway_url}/ipfs/{cid_or_path.removeprefix('/ipfs/')}"
        with _OPENER.open(url, timeout=timeout) as response:
            data: bytes = response.read()
            return data

    # -- internals -----------------------------------------------------------------

    def _jsipfs_command(self, *args: str) -> list[str]:
        assert self._node is not None
        return [str(self._node), str(self._jsipfs), *args]

    def _init_repo(self) -> None:
        """``jsipfs init`` a new repo; ``--profile test`` already binds /tcp/0 and disables MDNS."""
        if self.repo_path.exists():
            raise IpfsNodeError(f"{self.repo_path} already exists; give IpfsNode a fresh directory")
        result = subprocess.run(
            self._jsipfs_command("init", "--emptyRepo", "--profile", "test"),
            env=self.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=120,
            check=False,
        )
        if result.returncode != 0:
            raise IpfsNodeError(
                f"jsipfs init failed (exit {result.returncode}):\n"
                + _tail(result.stdout + result.stderr)
            )

    def _configure_repo(self) -> None:
        """Rewrite the repo config so the node listens on loopback only and reaches no one.

        Editing the JSON file directly (rather than ``jsipfs config``, one
        process start per key) keeps setup under a second.
        """
        config_path = self.repo_path / "config"
        config = json.loads(config_path.read_text(encoding="utf-8"))
        addresses = config.setdefault("Addresses", {})
        addresses.update(
            {
                # Port 0: the OS picks a free port; we read the real one from the daemon.
                "API": "/ip4/127.0.0.1/tcp/0",
                "Gateway": "/ip4/127.0.0.1/tcp/0",
                # Offline node: no libp2p listeners at all.
                "Swarm": [],
                "Announce": [],
                "NoAnnounce": [],
                # An empty RPC address disables js-ipfs's gRPC-over-websocket server,
                # which we do not use (it would otherwise bind a fixed port, 5003).
                "RPC": "",
                "Delegates": [],
            }
        )
        config["Bootstrap"] = []
        discovery = config.setdefault("Discovery", {})
        discovery["MDNS"] = {"Enabled": False, "Interval": 10}
        discovery["webRTCStar"] = {"Enabled": False}
        config.setdefault("Pubsub", {})["Enabled"] = False
        config["Routing"] = {"Type": "none"}
        config_path.write_text(json.dumps(config, indent=2), encoding="utf-8")

    def _spawn_and_wait(self) -> None:
        started = time.monotonic()
        with self.stdout_log.open("wb") as out, self.stderr_log.open("wb") as err:
            self._process = subprocess.Popen(
                self._jsipfs_command("daemon", "--offline", "--enable-preload=false"),
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                # Own process group, so stop() can signal everything the daemon spawned.
                start_new_session=True,
            )
        try:
            self._wait_ready(started)
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - started

    def _wait_ready(self, started: float) -> None:
        """Wait for the ready line, read the bound ports, then for a first RPC answer."""
        assert self._process is not None
        deadline = started + self.startup_timeout
        while True:
            output = self.stdout_log.read_text(encoding="utf-8", errors="replace")
            if _READY_LINE in output:
                break
            self._check_alive_and_time(deadline, "print 'Daemon is ready'")
            time.sleep(0.05)
        api = _API_RE.search(output)
        gateway = _GATEWAY_RE.search(output)
        if api is None or gateway is None:
            raise IpfsNodeError(
                "jsipfs daemon is ready but did not report its API and gateway addresses:\n"
                + _tail(output.encode())
            )
        self._api_url = f"http://{api.group(1)}:{api.group(2)}"
        self._gateway_url = f"http://{gateway.group(1)}:{gateway.group(2)}"
        while True:
            try:
                version = self.rpc_json("version", timeout=5)
            except (OSError, IpfsNodeError):
                self._check_alive_and_time(deadline, f"answer on {self._api_url}")
                time.sleep(0.1)
                continue
            if "Version" in version:
                return
            raise IpfsNodeError(f"unexpected answer from {self._api_url}/api/v0/version: {version}")

    def _check_alive_and_time(self, deadline: float, waiting_for: str) -> None:
        assert self._process is not None
        code = self._process.poll()
        if code is not None:
            raise IpfsNodeError(
                f"jsipfs daemon exited with code {code} before it could {waiting_for}; "
                f"repo {self.repo_path}\n{self._logs_tail()}"
            )
        if time.monotonic() > deadline:
            raise IpfsNodeError(
                f"jsipfs daemon did not {waiting_for} within {self.startup_timeout:.0f} s; "
                f"repo {self.repo_path}\n{self._logs_tail()}"
            )

    def _logs_tail(self) -> str:
        parts = []
        for label, log in (("stderr", self.stderr_log), ("stdout", self.stdout_log)):
            data = log.read_bytes() if log.exists() else b""
            parts.append(f"--- daemon {label} (tail) ---\n{_tail(data)}")
        return "\n".join(parts)

    @staticmethod
    def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)


def _param(value: str | int | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _tail(data: bytes, lines: int = 30) -> str:
    text = data.decode("utf-8", "replace").rstrip()
    return "\n".join(text.splitlines()[-lines:]) or "(empty)"

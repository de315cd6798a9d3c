"""Telling someone about a finding: a webhook POST or a local command.

Webhooks get the finding's JSON as the body of a POST, retried with
exponential backoff on connection failures, timeouts and 5xx/429 answers; a
4xx other than 429 is final (the receiver refuses the request, sending it
again changes nothing). A command gets the JSON on stdin, run without a shell.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import time
from collections.abc import Callable
from typing import Any

from numbers_cli import __version__

ATTEMPTS = 4
BACKOFF = 0.5  # seconds before the 2nd attempt; doubles each time
TIMEOUT = 10.0
COMMAND_TIMEOUT = 60.0


class DeliveryFailed(Exception):
    """The notification did not get through; the message says why."""


def post_webhook(
    url: str,
    payload: dict[str, Any],
    *,
    attempts: int = ATTEMPTS,
    backoff: float = BACKOFF,
    timeout: float = TIMEOUT,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """POST `payload` as JSON; the number of attempts it took, or DeliveryFailed."""
    import requests

    body = json.dumps(payload, ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json", "User-Agent": f"nit-monitor/{__version__}"}
    reason = ""
    with requests.Session() as session:
        session.trust_env = False
        for attempt in range(1, attempts + 1):
            try:
                response = session.post(
                    url, data=body, headers=headers, timeout=timeout, allow_redirects=False
                )
                if response.status_code < 300:
                    return attempt
                reason = f"HTTP {response.status_code}"
                if response.status_code < 500 and response.status_code != 429:
                    break
            except requests.Timeout:
                reason = f"no answer within {timeout:g} s"
            except requests.RequestException:
                reason = "cannot connect"
            if attempt < attempts:
                sleep(backoff * 2 ** (attempt - 1))
    raise DeliveryFailed(f"webhook {url}: {reason}")


def run_command(command: str, payload: dict[str, Any], timeout: float = COMMAND_TIMEOUT) -> None:
    """Run `command` (split like a shell would, but no shell) with the JSON on stdin."""
    argv = shlex.split(command)
    if not argv:
        raise DeliveryFailed("empty --exec command")
    try:
        done = subprocess.run(
            argv,
            input=json.dumps(payload, ensure_ascii=False).encode(),
            timeout=timeout,
            capture_output=True,
            check=False,
        )
    except FileNotFoundError:
        raise DeliveryFailed(f"--exec {argv[0]}: command not found") from None
    except subprocess.TimeoutExpired:
        raise DeliveryFailed(f"--exec {argv[0]}: still running after {timeout:g} s") from None
    if done.returncode != 0:
        raise DeliveryFailed(f"--exec {argv[0]}: exit status {done.returncode}")

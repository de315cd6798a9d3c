"""A real `nit push --json` process loads what pushing needs and nothing of the rest.

Start-up is most of a small push's time (issue 9): the JSON of a push is
written without rich, the chain is spoken to over urllib3 without requests,
nothing reads Exif or C2PA, and no TOML is written (a plain RPC URL has no
credentials file). A new import on this path makes every push slower;
this test names it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.push.conftest import committed, make_files

_PUSH = """
import sys
from numbers_cli.cli.main import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
unwanted = [m for m in ("rich", "rich.console", "requests", "exifread", "web3", "eth_account",
                        "numbers_cli.ops.upload", "numbers_cli.ops.remotes",
                        "numbers_cli.cli.console", "numbers_cli.ops.claims",
                        "numbers_cli.model.c2pa", "numbers_cli.metadata", "difflib", "secrets",
                        "tomli_w")
            if m in sys.modules]
print("code", code, "unwanted", ",".join(unwanted) or "-", "urllib3", "urllib3" in sys.modules,
      file=sys.stderr)
"""


def test_push_json_in_a_new_process_loads_no_rich_requests_or_exif(
    nit, repo, workdir, on_devnet
) -> None:
    committed(nit, *make_files(workdir, 3))
    done = subprocess.run(
        [sys.executable, "-c", _PUSH, "push", "--no-ipfs", "--json"],
        cwd=workdir,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.stderr.splitlines()[-1] == "code 0 unwanted - urllib3 True", done.stderr
    report = json.loads(done.stdout)
    assert [c["state"] for c in report["commits"]] == ["pushed"] * 3

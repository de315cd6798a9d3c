"""Every command that reads has `--json`: one JSON document on stdout, nothing else.

Scripts pipe it to `jq`; a stray progress line or colour code on stdout breaks them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.support.store_damage import read_object, write_object

PHOTO = "Canon_40D.jpg"


@pytest.fixture
def history(nit, repo: Path, media, signing_key) -> dict[str, str]:
    """An asset with two commits (registration, then a licence change) and a staged one."""
    media(PHOTO, "Nikon_D70.jpg")
    added = json.loads(nit("add", PHOTO, "--license", "cc-by-4.0", "--json").stdout)
    assert nit("commit", "-m", "first").exit_code == 0
    assert nit("add", PHOTO, "--license", "mit").exit_code == 0
    assert nit("commit", "-m", "relicence").exit_code == 0
    assert nit("add", "Nikon_D70.jpg").exit_code == 0
    log = json.loads(nit("log", PHOTO, "--json").stdout)
    return {"asset": added[0]["nid"], "commit": log[0]["commitCid"]}


COMMANDS = {
    "status": lambda h: ["status"],
    "log": lambda h: ["log"],
    "log-asset": lambda h: ["log", PHOTO],
    "show-file": lambda h: ["show", PHOTO],
    "show-commit": lambda h: ["show", h["commit"]],
    "diff": lambda h: ["diff", PHOTO],
    "verify": lambda h: ["verify", PHOTO],
    "verify-nid": lambda h: ["verify", h["asset"]],
    "fsck": lambda h: ["fsck"],
    "hash": lambda h: ["hash", PHOTO, "Nikon_D70.jpg"],
    "wallet-list": lambda h: ["wallet", "list"],
    "wallet-address": lambda h: ["wallet", "address"],
    "config-list": lambda h: ["config", "list"],
    "config-get": lambda h: ["config", "get", "user.wallet"],
}


@pytest.mark.parametrize("name", list(COMMANDS))
def test_read_command_prints_only_json(nit, history, name):
    args = COMMANDS[name](history)
    result = nit(*args, "--json")
    assert result.exit_code == 0, result.output
    json.loads(result.stdout)  # the whole of stdout, nothing before or after
    assert "\x1b[" not in result.stdout  # no colour codes
    assert result.stderr == ""


def test_json_shapes(nit, history, signing_key):
    def get(*args: str):  # type: ignore[no-untyped-def]
        result = nit(*args, "--json")
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    status = get("status")
    assert set(status) == {"staged", "unpushed", "changed"}
    assert [s["path"] for s in status["staged"]] == ["Nikon_D70.jpg"]
    assert status["unpushed"] == [{"nid": history["asset"], "commits": 2, "path": PHOTO}]

    log = get("log", PHOTO)
    assert [e["index"] for e in log] == [1, 0]  # newest first
    assert {e["commit"]["committer"] for e in log} == {signing_key}
    assert [e["commit"]["abstract"] for e in log] == ["relicence", "first"]

    show = get("show", history["commit"])
    assert show["kind"] == "commit" and show["asset"] == history["asset"]
    assert show["assetTree"]["license"]["name"] == "MIT"

    fsck = get("fsck")
    assert fsck["ok"] is True and fsck["problems"] == []
    assert (fsck["assets"], fsck["commits"]) == (1, 2)

    hashed = get("hash", PHOTO)
    assert hashed == [{"path": PHOTO, "nid": history["asset"]}]

    assert get("wallet", "address") == {"wallet": "NIT_PRIVATE_KEY", "address": signing_key}
    assert get("wallet", "list") == []

    keys = {item["key"]: item for item in get("config", "list")}
    assert {"value", "origin", "description"} <= set(keys["user.wallet"])
    assert get("config", "get", "user.wallet") == {
        "key": "user.wallet",
        "value": "default",
        "origin": "default",
    }


def test_json_of_an_empty_repository(nit, repo):
    assert json.loads(nit("log", "--json").stdout) == []
    assert json.loads(nit("status", "--json").stdout) == {
        "staged": [],
        "unpushed": [],
        "changed": [],
    }
    fsck = nit("fsck", "--json")
    assert fsck.exit_code == 0 and json.loads(fsck.stdout)["objects"] == 0


def test_json_keeps_unicode_and_odd_text_intact(nit, repo, media, signing_key):
    media(PHOTO)
    message = 'Café "quoted" \\ back-slash, tab\there, emoji 📷'
    assert nit("add", PHOTO, "-m", message, "--custom", "note=行").exit_code == 0
    assert nit("commit", "-m", message).exit_code == 0
    shown = json.loads(nit("show", PHOTO, "--json").stdout)
    assert shown["assetTree"]["abstract"] == message
    assert shown["assetTree"]["custom"]["note"] == "行"
    assert shown["commit"]["abstract"] == message


def test_failing_verify_and_fsck_still_print_json(nit, history, workdir):
    photo = workdir / PHOTO
    photo.write_bytes(photo.read_bytes()[:-10])
    verify = nit("verify", PHOTO, "--json")
    assert verify.exit_code == 10
    assert json.loads(verify.stdout)["ok"] is False

    tree = json.loads(nit("show", PHOTO, "--json").stdout)["commit"]["assetTreeCid"]
    write_object(workdir, tree, read_object(workdir, tree) + b" ")
    fsck = nit("fsck", "--json")
    assert fsck.exit_code == 5
    report = json.loads(fsck.stdout)
    assert report["ok"] is False
    assert any(p["name"] == tree for p in report["problems"])


def test_show_a_tree_nid(nit, history):
    commit = json.loads(nit("show", history["commit"], "--json").stdout)
    tree_cid = commit["commit"]["assetTreeCid"]
    shown = json.loads(nit("show", tree_cid, "--json").stdout)
    assert (shown["kind"], shown["cid"], shown["commit"]) == ("tree", tree_cid, None)
    assert shown["assetTree"] == commit["assetTree"]

"""Stamp documents (manifest, inclusion proof) and CI build facts."""

from __future__ import annotations

import hashlib
import json

import pytest

from numbers_cli.errors import InvalidFormat
from numbers_cli.metadata.ci import FACTS, build_facts, in_ci
from numbers_cli.model import merkle
from numbers_cli.model.stamp import (
    BatchManifest,
    InclusionProof,
    StampedArtifact,
    commit_digest,
)
from numbers_cli.model.unixfs import nid_of_bytes


def artifact(i: int) -> StampedArtifact:
    data = f"artifact {i}".encode()
    commit = nid_of_bytes(f'{{"commit":{i}}}'.encode())
    return StampedArtifact(
        f"dist/a{i}", nid_of_bytes(data), hashlib.sha256(data).hexdigest(), len(data), commit
    )


def test_commit_digest_is_the_sha256_of_the_commit_bytes() -> None:
    data = b'{"assetTreeCid":"x"}'
    assert commit_digest(nid_of_bytes(data)) == hashlib.sha256(data).digest()
    big = nid_of_bytes(b"x" * 300_000)  # a dag-pb file, not a commit
    with pytest.raises(InvalidFormat):
        commit_digest(big)


def test_manifest_round_trip_and_root() -> None:
    artifacts = [artifact(i) for i in range(6)]
    manifest, tree = BatchManifest.of(artifacts, 1_700_000_000, {"ci": "generic"})
    data = manifest.to_bytes()
    again = BatchManifest.from_bytes(data)
    assert again == manifest
    assert again.root == tree.root
    doc = json.loads(data)
    assert doc["format"] == "nit-stamp-batch/v1"
    assert doc["merkleTree"] == {
        "format": "standard-v1",
        "leafEncoding": ["bytes32", "bytes32"],
        "root": merkle.to_hex(tree.root),
    }
    assert [a["name"] for a in doc["artifacts"]] == [f"dist/a{i}" for i in range(6)]


def test_manifest_whose_artifacts_do_not_make_its_root_is_refused() -> None:
    manifest, _ = BatchManifest.of([artifact(i) for i in range(3)], 1, {})
    doc = json.loads(manifest.to_bytes())
    doc["artifacts"][1]["sha256"] = "00" * 32
    with pytest.raises(InvalidFormat, match="not the root"):
        BatchManifest.from_bytes(json.dumps(doc).encode())
    with pytest.raises(InvalidFormat):
        BatchManifest.from_bytes(b"[]")


def test_inclusion_proof_round_trip_and_check() -> None:
    artifacts = [artifact(i) for i in range(9)]
    manifest, tree = BatchManifest.of(artifacts, 1, {})
    batch = nid_of_bytes(manifest.to_bytes())
    for i in (0, 4, 8):
        proof = InclusionProof(batch, tree.root, i, 9, artifacts[i], tuple(tree.proof(i)))
        again = InclusionProof.from_bytes(proof.to_bytes())
        assert again == proof and again.leads_to_root()
    wrong = InclusionProof(batch, tree.root, 4, 9, artifacts[5], tuple(tree.proof(4)))
    assert not wrong.leads_to_root()
    doc = json.loads(proof.to_bytes())
    doc["leafIndex"] = 9
    with pytest.raises(InvalidFormat):
        InclusionProof.from_bytes(json.dumps(doc).encode())


GITHUB = {
    "CI": "true",
    "GITHUB_ACTIONS": "true",
    "GITHUB_REPOSITORY": "octo/app",
    "GITHUB_SHA": "a" * 40,
    "GITHUB_REF": "refs/tags/v1.2.0",
    "GITHUB_WORKFLOW": "release",
    "GITHUB_JOB": "build",
    "GITHUB_RUN_ID": "123456",
    "GITHUB_SERVER_URL": "https://github.com",
    "RUNNER_NAME": "GitHub Actions 7",
    "GITHUB_TOKEN": "ghs_secret_never_read",
    "ACTIONS_RUNTIME_TOKEN": "runtime_secret_never_read",
}
GITLAB = {
    "CI": "true",
    "GITLAB_CI": "true",
    "CI_PROJECT_PATH": "group/app",
    "CI_COMMIT_SHA": "b" * 40,
    "CI_COMMIT_REF_NAME": "main",
    "CI_PIPELINE_ID": "77",
    "CI_JOB_NAME": "stamp",
    "CI_JOB_ID": "9001",
    "CI_JOB_URL": "https://gitlab.example/group/app/-/jobs/9001",
    "CI_RUNNER_DESCRIPTION": "shared-runner",
    "CI_JOB_TOKEN": "glcbt-secret-never-read",
    "CI_REGISTRY_PASSWORD": "secret-never-read",
}


def test_github_actions_facts() -> None:
    assert build_facts(GITHUB) == {
        "ci": "github-actions",
        "repository": "octo/app",
        "commit": "a" * 40,
        "ref": "refs/tags/v1.2.0",
        "workflow": "release",
        "job": "build",
        "runId": "123456",
        "runUrl": "https://github.com/octo/app/actions/runs/123456",
        "runner": "GitHub Actions 7",
    }


def test_gitlab_facts() -> None:
    facts = build_facts(GITLAB)
    assert facts["ci"] == "gitlab-ci" and facts["runUrl"] == GITLAB["CI_JOB_URL"]
    assert list(facts) == [k for k in FACTS if k in facts]


def test_no_secret_variable_is_read() -> None:
    """Only the table's variables are looked up: a mapping that records every lookup proves it."""

    class Recording(dict):  # type: ignore[type-arg]
        def __init__(self, values: dict[str, str]) -> None:
            super().__init__(values)
            self.asked: set[str] = set()

        def get(self, key, default=None):  # type: ignore[no-untyped-def]
            self.asked.add(key)
            return super().get(key, default)

        def __getitem__(self, key):  # type: ignore[no-untyped-def]
            self.asked.add(key)
            return super().__getitem__(key)

    for env in (GITHUB, GITLAB):
        recording = Recording(env)
        facts = build_facts(recording)
        assert not {n for n in recording.asked if "TOKEN" in n or "PASSWORD" in n}
        assert "secret" not in json.dumps(facts)


def test_generic_and_no_ci() -> None:
    assert build_facts({"CI": "1"}) == {"ci": "generic"}
    assert build_facts({}) == {}
    assert build_facts({"CI": "false"}) == {}
    assert in_ci({"CI": "true"}) and not in_ci({"CI": "0"})

"""AssetTree and Commit in the Numbers format, against the spec's real commit."""

from __future__ import annotations

import hashlib

import pytest

from numbers_cli.errors import InvalidFormat, UsageError
from numbers_cli.model.commit import Commit, action_name_for
from numbers_cli.model.signature import recover_signer
from numbers_cli.model.tree import AssetTree, license_of, source_type_uri

REAL_COMMIT = (
    '{"assetTreeCid":"bafkreidptwydheqfybug4mmnzwzdg4rqxjvg4akl2pwjmrfxhqz33qv4tu",'
    '"assetTreeSha256":"6f9db0339205c0686e318dcdb2337230ba6a6e014bd3ec9644b73c33bdc2bc9d",'
    '"assetTreeSignature":"0xef547e124a9904dbdb5a418022ad03c621201b74111a3b4c5fac61b1d8235017'
    '0766cef8a27737d21ca9b1bd4e04f7cdea460706b68b14e0ed17f2a3de83f9131b",'
    '"author":"bafkreigzixvzu2tbxbvmvwcvlz2zwoagmb6c2q5egaq4lmd5sesyopmmx4",'
    '"committer":"bafkreigzixvzu2tbxbvmvwcvlz2zwoagmb6c2q5egaq4lmd5sesyopmmx4",'
    '"provider":"bafkreigtmno2wacf4ldb6ewbkboe7oojedsp3dky35djytor6guwzhbdpa",'
    '"timestampCreated":1655720763,'
    '"action":"bafkreiavifzn7ntlb6p2lr55k3oezo6pofwvknecukc5auhng4miowcte4",'
    '"actionResult":"https://bafkreidptwydheqfybug4mmnzwzdg4rqxjvg4akl2pwjmrfxhqz33qv4tu.ipfs.dweb.link",'
    '"abstract":"Action action-initial-registration."}'
)


def test_real_commit_signature_recovers_published_signer():
    commit = Commit.from_json(REAL_COMMIT)
    signer = recover_signer(commit.get("assetTreeSha256"), commit.get("assetTreeSignature"))
    assert signer == "0x63B7076FC0A914Af543C2e5c201df6C29FCC18c5"


def test_real_commit_goes_on_chain_with_action_name_last():
    on_chain = Commit.from_json(REAL_COMMIT).to_chain()
    assert on_chain == REAL_COMMIT[:-1] + ',"actionName":"action-initial-registration-avalanche"}'


@pytest.mark.parametrize(
    ("action", "name"),
    [
        (
            "bafkreicptxn6f752c4pvb6gqwro7s7wb336idkzr6wmolkifj3aafhvwii",
            "action-initial-registration-jade",
        ),
        (
            "bafkreiakk6le5wgbl3zz3acybd2wfc2y32mpmxj4kbjjjskom7cy2akwly",
            "action-mint-erc721-nft-jade",
        ),
        ("bafkreiceiqfe4w4g4j46rsi4h4tbqu35ivewfxm4q743tfmegscpg7d63m", "action-commit"),
        ("bafkreiunknownunknownunknownunknownunknownunknownunknownxx", "action-commit"),
        (None, "action-commit"),
    ],
)
def test_action_name_rule(action, name):
    assert action_name_for(action) == name


def test_existing_action_name_is_kept():
    commit = Commit.from_json(REAL_COMMIT[:-1] + ',"actionName":"custom"}')
    assert commit.to_chain().endswith('"actionName":"custom"}')


def _tree(**extra):
    return AssetTree.new(
        {
            "assetCid": "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq",
            "assetSha256": hashlib.sha256(b"hello").hexdigest(),
            "encodingFormat": "text/plain",
            **extra,
        }
    )


def test_new_tree_uses_reference_key_order_and_hashes_its_bytes():
    tree = _tree(
        abstract="hi", assetTimestampCreated=1, license=license_of("mit"), assetCreator="Ann"
    )
    keys = [k for k, _ in tree.fields]
    assert keys == [
        "assetCid",
        "assetSha256",
        "encodingFormat",
        "assetTimestampCreated",
        "assetCreator",
        "license",
        "abstract",
    ]
    assert tree.to_bytes().startswith(b'{\n  "assetCid": "bafkrei')
    assert tree.sha256() == hashlib.sha256(tree.to_bytes()).hexdigest()


def test_foreign_tree_round_trips_byte_for_byte():
    original = (
        b'{\n  "zeta": 1,\n  "assetCid": "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq",\n  "assetSha256": "'
        + hashlib.sha256(b"x").hexdigest().encode()
        + b'",\n  "encodingFormat": "image/png"\n}'
    )
    assert AssetTree.from_bytes(original).to_bytes() == original


def test_update_keeps_places_and_appends_new_keys():
    tree = _tree(abstract="a", custom={"k": "v"})
    updated = tree.updated({"abstract": "b", "license": license_of("cc-by-4.0"), "custom": None})
    assert [k for k, _ in updated.fields] == [
        "assetCid",
        "assetSha256",
        "encodingFormat",
        "abstract",
        "license",
    ]
    assert updated.get("abstract") == "b"


def test_licences_and_source_types():
    assert license_of("CC-BY-SA-4.0")["name"] == "CC-BY-SA-4.0"
    assert license_of("Studio", "https://example.org/l") == {
        "name": "Studio",
        "document": "https://example.org/l",
    }
    with pytest.raises(UsageError):
        license_of("nonsense")
    assert source_type_uri("trainedalgorithmicmedia").endswith("/trainedAlgorithmicMedia")
    with pytest.raises(UsageError):
        source_type_uri("photo")


@pytest.mark.parametrize(
    "bad",
    [
        {"assetSha256": "XYZ"},
        {"assetTimestampCreated": "yesterday"},
        {"parentAssetCid": "nope"},
        {"creatorWallet": "0x123"},
        {"license": "MIT"},
    ],
)
def test_invalid_trees_are_rejected(bad):
    with pytest.raises(InvalidFormat):
        _tree(**bad)

"""Pure parts of the data stream: usage terms, the C2PA mapping, the Croissant card."""

from __future__ import annotations

import pytest

from numbers_cli.errors import UsageError
from numbers_cli.model import croissant, usage
from numbers_cli.model.c2pa import NIT_LABEL, claims_from_store, export_definition
from numbers_cli.model.nid import Nid

IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"


def test_terms_are_normalized_to_c2pa_words():
    assert usage.normalize({"commercialUse": "Yes", "aiTraining": False, "dataMining": ""}) == {
        "aiTraining": "notAllowed",
        "commercialUse": "allowed",
    }
    with pytest.raises(UsageError, match="not a usage term value"):
        usage.normalize({"aiTraining": "sometimes"})
    with pytest.raises(UsageError, match="unknown usage term"):
        usage.normalize({"training": "yes"})


def test_unknown_or_malformed_terms_are_no_permission():
    assert usage.refusals({}, ["aiTraining"]) == ["aiTraining"]
    assert usage.refusals({"aiTraining": "constrained"}, ["aiTraining"]) == ["aiTraining"]
    assert usage.refusals({"aiTraining": "allowed"}, ["aiTraining"]) == []
    bad = {"custom": {"usageTerms": {"aiTraining": "yes please", "commercialUse": "allowed"}}}
    assert usage.of_tree(bad) == {"commercialUse": "allowed"}
    assert usage.of_tree({"custom": {"usageTerms": "allowed"}}) == {}


def test_winning_terms_replace_term_by_term():
    tree = {"aiTraining": "allowed", "commercialUse": "notAllowed"}
    assert usage.merged(tree, {"aiTraining": "notAllowed", "bogus": "allowed"}) == {
        "aiTraining": "notAllowed",
        "commercialUse": "notAllowed",
    }
    assert usage.merged(tree, None) == tree
    assert usage.term_for_use("AI-Training") == "aiTraining"


def test_manifest_store_mapping():
    parent_label = "urn:c2pa:parent"
    store = {
        "active_manifest": "urn:c2pa:active",
        "validation_state": "Valid",
        "validation_results": {
            "activeManifest": {"failure": [{"code": "signingCredential.untrusted"}]}
        },
        "manifests": {
            "urn:c2pa:active": {
                "claim_generator_info": [{"name": "Editor", "version": "9"}],
                "signature_info": {"common_name": "Ann", "issuer": "CA"},
                "ingredients": [
                    {"title": "a.jpg", "relationship": "parentOf", "active_manifest": parent_label},
                    {"title": "b.jpg", "relationship": "componentOf"},
                ],
                "assertions": [
                    {
                        "label": "c2pa.actions.v2",
                        "data": {
                            "actions": [
                                {"action": "c2pa.opened"},
                                {
                                    "action": "c2pa.edited",
                                    "digitalSourceType": IPTC
                                    + "compositeWithTrainedAlgorithmicMedia",
                                    "softwareAgent": {"name": "Fill", "version": "2"},
                                },
                            ]
                        },
                    },
                    {
                        "label": "cawg.training-mining",
                        "data": {
                            "entries": {
                                "cawg.ai_inference": {"use": "allowed"},
                                "cawg.unknown": {"use": "allowed"},
                                "c2pa.ai_training": {"use": "maybe"},
                            }
                        },
                    },
                ],
            },
            parent_label: {
                "assertions": [{"label": NIT_LABEL, "data": {"nid": "bafkreiparent"}}],
            },
        },
    }
    claims = claims_from_store(store)
    assert claims.claim_generator == "Editor 9"
    assert claims.signer == "Ann / CA"
    assert claims.actions == ("c2pa.opened", "c2pa.edited")
    assert claims.digital_source_type == IPTC + "compositeWithTrainedAlgorithmicMedia"
    assert claims.generated_by == "Fill 2"
    assert claims.usage_terms == {"aiInference": "allowed"}
    assert [(i.title, i.nid) for i in claims.ingredients] == [
        ("a.jpg", "bafkreiparent"),
        ("b.jpg", None),
    ]
    assert claims.failures == ("signingCredential.untrusted",) and not claims.invalid
    assert claims.nit is None


def test_a_camera_capture_has_no_generated_by():
    store = {
        "active_manifest": "m",
        "manifests": {
            "m": {
                "claim_generator": "Cam/1.0",
                "assertions": [
                    {
                        "label": "c2pa.actions",
                        "data": {
                            "actions": [
                                {
                                    "action": "c2pa.created",
                                    "digitalSourceType": IPTC + "digitalCapture",
                                    "softwareAgent": "Cam firmware",
                                }
                            ]
                        },
                    }
                ],
            }
        },
    }
    claims = claims_from_store(store)
    assert claims.claim_generator == "Cam/1.0"
    assert claims.digital_source_type == IPTC + "digitalCapture"
    assert claims.generated_by is None


def test_export_definition_round_trips_through_the_mapping():
    tree = {
        "encodingFormat": "image/png",
        "digitalSourceType": IPTC + "trainedAlgorithmicMedia",
        "generatedBy": "Model X",
        "custom": {"usageTerms": {"aiTraining": "notAllowed", "commercialUse": "allowed"}},
    }
    record = {"nid": "bafkreiasset", "commit": "bafkreicommit", "tx": None}
    definition = export_definition(tree, record, title="x.png", version="0.1.0", has_manifest=False)
    store = {"active_manifest": "m", "manifests": {"m": definition}}
    claims = claims_from_store(store)
    assert claims.nit == {"nid": "bafkreiasset", "commit": "bafkreicommit"}  # no null tx
    assert claims.generated_by == "Model X"
    assert claims.usage_terms == {"aiTraining": "notAllowed"}
    opened = export_definition({}, record, title="x", version="1", has_manifest=True)
    assert opened["assertions"][0]["data"]["actions"][0]["action"] == "c2pa.opened"


def test_card_states_the_records_hash_and_every_field():
    doc = croissant.card(
        name="d",
        description="x",
        records_sha256="ab" * 32,
        licenses=["MIT", "MIT"],
        date_published="2026-01-01",
        version="1.0.0",
        url="urn:x",
    )
    assert croissant.records_sha256(doc) == "ab" * 32
    assert doc["license"] == ["MIT"]
    fields = [f["name"] for f in doc["recordSet"][0]["field"]]
    assert fields == list(croissant.RECORD_KEYS)
    assert doc["@context"]["cr"] == "http://mlcommons.org/croissant/"


@pytest.mark.parametrize(
    "text",
    [
        "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq",  # spec/NUMBERS.md: "hello"
        "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi",
    ],
)
def test_fast_nid_path_agrees_with_multiformats(text):
    from multiformats import CID

    cid = CID.decode(text)
    nid = Nid.parse(text)
    assert nid == text and nid.codec == int(cid.codec.code)
    assert nid.verify_block(b"hello") == (text.startswith("bafkrei") and True)
    with pytest.raises(Exception, match="not a valid CID"):
        Nid.parse(text[:-1] + "1")  # '1' is not base32

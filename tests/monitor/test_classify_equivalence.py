"""The classifier gives exactly the verdicts frozen in ``tests/fixtures/classify/expected.json``.

Those are the outputs of the classifier before it was made faster (see the fixture's README): every
eval text and edge cases (overlapping terms, exclusions, other senses, contexts, unicode, long texts).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from functools import cache
from typing import Any

import pytest

from monitor.classify import TopicClassifier, build_classifiers
from tests.conftest import FIXTURES
from tests.fixtures.classify.freeze import load_topics

EXPECTED = json.loads((FIXTURES / "classify" / "expected.json").read_text(encoding="utf-8"))


@cache
def _classifiers(topics_file: str) -> dict[str, TopicClassifier]:
    return build_classifiers(load_topics(topics_file))


def test_versions_unchanged() -> None:
    for topics_file, versions in EXPECTED["versions"].items():
        assert {n: c.version for n, c in _classifiers(topics_file).items()} == versions


@pytest.mark.parametrize(
    "case", EXPECTED["cases"], ids=[f"{c['topics_file']}:{c['id']}" for c in EXPECTED["cases"]]
)
def test_same_verdict(case: dict[str, Any]) -> None:
    texts = {k: case[k] for k in ("title", "request", "response")}
    for name, classifier in _classifiers(case["topics_file"]).items():
        assert asdict(classifier.classify(**texts)) == case["verdicts"][name]

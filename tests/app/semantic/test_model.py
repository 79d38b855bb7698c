"""The real local model (the `semantic` extra), on a handful of texts: offline, and meaning
what it should."""

from __future__ import annotations

import socket

import numpy as np
import pytest

from app.semantic.model import WordLlamaEmbedder


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """No connection can be opened, and Hugging Face is told so too."""

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the model tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def test_given_no_network_when_the_model_loads_then_it_embeds_from_the_installed_files(
    offline: None,
) -> None:
    model = WordLlamaEmbedder()

    vectors = model.embed(["A chain of 40 shoe stores.", "Kubernetes observability tools."])

    assert vectors.shape == (2, 256)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-4)
    assert model.version.startswith("wordllama-0.4")


def test_given_a_retail_narrative_when_texts_are_compared_then_a_paraphrase_is_closer() -> None:
    model = WordLlamaEmbedder()
    narrative, paraphrase, unrelated = model.embed(
        [
            "Retail chains with many stores whose old systems cannot keep up with growth.",
            "A family-owned grocery chain of 45 supermarkets is replacing its aging store software.",
            "Open-source observability platform for Kubernetes clusters and microservices.",
        ]
    )

    assert narrative @ paraphrase > narrative @ unrelated + 0.1


def test_given_the_same_texts_when_embedded_twice_then_the_vectors_are_identical() -> None:
    model = WordLlamaEmbedder()
    texts = ["Regional grocer, 12 stores.", "Month-end close takes three weeks."]

    assert np.array_equal(model.embed(texts), model.embed(texts))
    assert model.embed([]).shape == (0, 256)

from hlsguide.answer.passages import document_order
from hlsguide.types import Chunk, Hit


def _hit(document: str, n: int, dense: float | None) -> Hit:
    text = f"A passage of {document}."
    chunk = Chunk(
        id=f"{document}#{n}",
        document_id=document,
        title=document,
        kind="concept",
        text=text,
        source_path=f"{document}.md",
        start=0,
        end=len(text),
        token_count=8,
        content_hash=f"{document}{n}",
    )
    return Hit(chunk=chunk, score=1.0 / (60 + n), dense_similarity=dense)


def test_documents_after_the_first_retrieved_are_ranked_by_their_closest_passage():
    """A document fused second for words it shares with the question ('difference between')
    gives way to documents nearer in meaning; the first retrieved stays first, and a document
    found only by its words comes last."""
    passages = [
        _hit("measurement-laws", 0, 0.43),
        _hit("learning-from-complex-cases", 1, 0.30),
        _hit("words-only", 2, None),
        _hit("case-nhs-ae-targets", 3, 0.37),
        _hit("learning-from-complex-cases", 4, 0.20),
        _hit("source-whats-measured", 5, 0.30),
        _hit("source-whats-measured", 6, 0.34),
    ]
    assert document_order(passages) == [
        "measurement-laws",
        "case-nhs-ae-targets",
        "source-whats-measured",
        "learning-from-complex-cases",
        "words-only",
    ]
    assert document_order(passages[1:2]) == ["learning-from-complex-cases"]
    assert document_order([]) == []

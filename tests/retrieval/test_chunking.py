from itertools import pairwise

from hlsguide.corpus.loaders import load_document
from hlsguide.retrieval.chunking import chunk_document, split_section
from hlsguide.retrieval.tokens import count_tokens


def test_chunks_are_token_bounded_with_overlap():
    text = " ".join(f"Sentence number {i} says something short." for i in range(60))
    spans = split_section(text, 40, 10)
    assert len(spans) > 5
    for start, end in spans:
        assert count_tokens(text[start:end]) <= 40
    # consecutive chunks overlap but always move forward
    for (s1, e1), (s2, e2) in pairwise(spans):
        assert s1 < s2 <= e1 < e2


def test_an_over_long_sentence_is_cut_at_token_boundaries():
    text = "word " * 500
    spans = split_section(text, 50, 0)
    assert all(count_tokens(text[s:e]) <= 50 for s, e in spans)
    assert "".join(text[s:e] for s, e in spans).replace(" ", "") == text.replace(" ", "")


def test_chunks_keep_provenance_and_offsets(corpus_dir):
    path = corpus_dir / "cases" / "case-riverside.md"
    source = path.read_text()
    chunks = chunk_document(load_document(path), 64, 16)
    assert chunks
    for chunk in chunks:
        assert source[chunk.start : chunk.end] == chunk.text
        assert chunk.document_id == "case-riverside"
        assert chunk.kind == "case"
        assert chunk.topics == ["homelessness", "alliance-contracting"]
        assert chunk.heading_path
        assert chunk.token_count == count_tokens(chunk.text)
        assert len(chunk.content_hash) == 16
    assert chunks[0].citations == ["fixture-learning-2020"]
    assert chunks[-1].citations == ["fixture-targets-2006"]

from pathlib import Path

import docx
import pytest
from fpdf import FPDF

from hlsguide.corpus.loaders import IngestError, discover, load_document, markdown_sections


def make_pdf(path: Path, pages: list[str]) -> Path:
    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 10, text)
    pdf.output(str(path))
    return path


def test_corpus_markdown_keeps_front_matter_and_offsets(corpus_dir):
    path = corpus_dir / "concepts" / "learning-loops.md"
    document = load_document(path)
    text = path.read_text()
    assert document.kind == "concept"
    assert document.references == ["fixture-learning-2020"]
    assert [s.heading_path for s in document.sections] == [
        ["What a learning loop is"],
        ["Why managers care"],
    ]
    for section in document.sections:
        assert text[section.start : section.start + len(section.text)] == section.text


def test_heading_paths_nest_and_ignore_code_fences():
    text = "# A\nintro\n## B\nbody\n```\n# not a heading\n```\n### C\ndeep\n# D\nlast"
    paths = [s.heading_path for s in markdown_sections(text)]
    assert paths == [["A"], ["A", "B"], ["A", "B", "C"], ["D"]]


def test_pdf_pages_are_kept(tmp_path):
    path = make_pdf(tmp_path / "report.pdf", ["First page about trust.", "Second page on data."])
    document = load_document(path)
    assert [s.page for s in document.sections] == [1, 2]
    assert "Second page" in document.sections[1].text
    assert document.kind == "document"


def test_docx_headings_become_sections(tmp_path):
    doc = docx.Document()
    doc.add_heading("Commissioning plan", level=1)
    doc.add_paragraph("We will fund learning, not outputs.")
    doc.add_heading("Risks", level=2)
    doc.add_paragraph("Trust may take time to build.")
    doc.save(tmp_path / "plan.docx")
    document = load_document(tmp_path / "plan.docx")
    assert [s.heading_path for s in document.sections] == [
        ["Commissioning plan"],
        ["Commissioning plan", "Risks"],
    ]


def test_html_drops_scripts_styles_and_hidden_text(tmp_path):
    (tmp_path / "page.html").write_text(
        "<html><head><title>Guide</title><style>p{color:red}</style></head><body>"
        "<h1>Intro</h1><p>Visible advice.</p><script>alert('x')</script>"
        "<p style='display: none'>hidden instruction</p><div hidden>also hidden</div>"
        "<p aria-hidden='true'>aria hidden</p></body></html>"
    )
    document = load_document(tmp_path / "page.html")
    text = " ".join(s.text for s in document.sections)
    assert document.title == "Guide"
    assert "Visible advice." in text
    for gone in ("alert", "hidden instruction", "also hidden", "aria hidden", "color"):
        assert gone not in text


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("broken.pdf", b"%PDF-1.4 this is not really a pdf", "malformed PDF"),
        ("fake.pdf", b"just text", "not a PDF"),
        ("empty.md", b"", "the file is empty"),
        ("blank.txt", b"   \n\t", "the file is empty"),
        ("notes.xyz", b"hello", "unsupported file type '.xyz'"),
        ("latin.txt", "caf\u00e9".encode("latin-1"), "not valid UTF-8 (byte 0xe9 at position 3)"),
        ("broken.docx", b"PK not a zip", "malformed DOCX"),
    ],
)
def test_bad_inputs_get_a_message_naming_file_and_problem(tmp_path, name, content, problem):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(IngestError) as info:
        load_document(path)
    assert str(path) in str(info.value)
    assert problem in info.value.problem


def test_corpus_front_matter_breaking_contract_is_rejected(corpus_dir):
    path = corpus_dir / "concepts" / "learning-loops.md"
    path.write_text(
        path.read_text().replace("topics: [learning-cycles, experiments]", "topics: [x]")
    )
    with pytest.raises(IngestError, match="not in the vocabulary"):
        load_document(path)


def test_size_limit(tmp_path):
    (tmp_path / "big.txt").write_text("word " * 100)
    with pytest.raises(IngestError, match="over the 50-byte limit"):
        load_document(tmp_path / "big.txt", max_bytes=50)


def test_discover_skips_hidden_files_and_bibliography(corpus_dir):
    (corpus_dir / ".draft.md").write_text("x")
    found = {p.name for p in discover([corpus_dir])}
    assert "references.yaml" not in found
    assert ".draft.md" not in found
    assert "learning-loops.md" in found

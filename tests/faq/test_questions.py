"""Question files: text, CSV and YAML, and precise errors for bad ones."""

from pathlib import Path

import pytest

from hlsguide.faq.questions import read_questions


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def test_text_one_question_a_line_with_comments_and_blanks(tmp_path):
    text = "# council FAQ\nWhat is HLS?\n\n  What is a learning cycle?  \n"
    path = write(tmp_path, "q.txt", text)
    questions = read_questions(path)
    assert [(q.id, q.question, q.group) for q in questions] == [
        ("q001", "What is HLS?", None),
        ("q002", "What is a learning cycle?", None),
    ]


def test_csv_with_question_group_and_id_columns(tmp_path):
    path = write(
        tmp_path,
        "q.csv",
        "\ufeffQuestion,Group,id\nWhat is HLS?,Basics,basics-1\n"
        '"Why, then, do targets fail?",Targets,\n,,\n',
    )
    questions = read_questions(path)
    assert [(q.id, q.question, q.group) for q in questions] == [
        ("basics-1", "What is HLS?", "Basics"),
        ("q002", "Why, then, do targets fail?", "Targets"),
    ]


def test_yaml_list_mappings_and_evaluation_sets(tmp_path):
    plain = write(tmp_path, "a.yaml", "- What is HLS?\n- question: Why learn?\n  group: Basics\n")
    assert [(q.question, q.group) for q in read_questions(plain)] == [
        ("What is HLS?", None),
        ("Why learn?", "Basics"),
    ]
    evaluation = write(
        tmp_path,
        "b.yml",
        "questions:\n- id: CON-01\n  question: What is HLS?\n  category: concepts\n",
    )
    [question] = read_questions(evaluation)
    assert (question.id, question.group) == ("CON-01", "concepts")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("q.pdf", "x", "QUESTIONS must be a .txt, .csv, .yaml or .yml file"),
        ("q.txt", "# only a comment\n\n", "no questions found"),
        ("q.txt", b"caf\xe9?\n", "not UTF-8 text (byte 3)"),
        ("q.csv", "text,group\nWhat?,A\n", "needs a 'question' column (found 'text', 'group')"),
        ("q.csv", "question,group\n,Basics\n", "line 2: the question is empty"),
        ("q.yaml", "questions: {a: 1}\n", "expected a list of questions"),
        ("q.yaml", "- [1, 2]\n", "item 1 is neither a question nor a mapping"),
        ("q.yaml", "- 'x: [\n", "not valid YAML"),
        ("q.yaml", "- {question: 'A?', id: same}\n- {question: 'B?', id: same}\n", "used twice"),
        ("q.yaml", "- {question: '   '}\n", "question 1: question: Value error, the question"),
    ],
)
def test_bad_question_files(tmp_path, name, content, message):
    with pytest.raises(ValueError) as error:  # noqa: PT011 (the message is checked below)
        read_questions(write(tmp_path, name, content))
    assert message in str(error.value)
    assert name in str(error.value)


def test_missing_file(tmp_path):
    with pytest.raises(ValueError, match="no such file"):
        read_questions(tmp_path / "absent.txt")

"""The LLM path through the real langchain-openai client against a local scripted server."""

import pytest

from hlsguide.answer.generators.llm import LLMGenerator
from hlsguide.answer.service import AnswerService


@pytest.fixture
def llm_answers(corpus_service, chat_server, tmp_path):
    settings = corpus_service.settings.model_copy(
        update={
            "llm_base_url": chat_server.base_url,
            "llm_model": "scripted",
            "llm_timeout_seconds": 2.0,
            "llm_max_retries": 0,
            "data_dir": tmp_path,
            "database_url": None,
        }
    )
    return AnswerService(settings, corpus_service, llm=LLMGenerator(settings))


QUESTION = "What is trust-based funding?"


def test_a_cited_llm_answer_is_verified(llm_answers, chat_server):
    chat_server.replies.append(
        {"content": "Funders give flexible money and trust grantees [1]. Invented claim [42]."}
    )
    answer = llm_answers.ask(QUESTION, mode="llm")
    assert answer.mode == "llm"
    assert answer.fallback is None
    assert "[42]" not in answer.answer
    assert "Funders give flexible money and trust grantees [1]." in answer.answer
    assert len(answer.citations) == 1
    request = chat_server.requests[-1]
    system, user = request["messages"][0]["content"], request["messages"][1]["content"]
    assert "untrusted data" in system
    assert user.startswith("<units>")  # units first, each datamarked like passages
    assert "<passages>" in user
    assert "\u02c6" in user.split("</units>")[0]
    assert '<passage n="1"' in user
    assert QUESTION in user


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        ({"content": "Trust-based funding is great, trust me."}, "no valid citation"),
        ({"content": "Nonsense [900] [901]."}, "no valid citation"),  # beyond every source
        ({"status": 500}, "backend failed"),
        ({"content": "late [1]", "delay": 4}, "backend failed"),
    ],
)
def test_a_bad_llm_answer_falls_back_to_extractive(llm_answers, chat_server, reply, reason):
    chat_server.replies.append(reply)
    answer = llm_answers.ask(QUESTION, mode="llm")  # a reply slower than the timeout: no hang
    assert answer.mode == "extractive"
    assert reason in answer.fallback
    assert answer.citations


def test_llm_follow_up_is_condensed_by_the_model(llm_answers, chat_server):
    chat_server.replies.append({"content": "Funders trust grantees [1]."})
    first = llm_answers.ask("What is the Plymouth Alliance?", mode="llm")
    chat_server.replies.extend(
        [
            {"content": "How was the Plymouth Alliance procured?\nextra line"},
            {"content": "It was commissioned as an alliance [1]."},
        ]
    )
    follow = llm_answers.ask(
        "How was it procured?", conversation_id=first.conversation_id, mode="llm"
    )
    assert follow.standalone_query == "How was the Plymouth Alliance procured?"
    condense_prompt = chat_server.requests[-2]["messages"][0]["content"]
    assert "What is the Plymouth Alliance?" in condense_prompt

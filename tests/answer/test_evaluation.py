import numpy as np

from hlsguide.answer.evaluation import coherence


def test_an_opener_dangles_at_the_start_of_a_bullet():
    assert coherence("- It was done quickly by the whole council team [1].") == (1, 0, 0)


def test_an_opener_keeps_its_antecedent_from_the_same_passage():
    text = (
        "- The council phoned fifty residents in arrears [1]. "
        "It then offered each of them help with benefits [1]."
    )
    assert coherence(text) == (0, 0, 0)


def test_a_pair_read_on_across_passages_of_one_section_keeps_its_antecedent():
    text = (
        "- The council phoned fifty residents in arrears [1]. "
        "It then offered each of them help with benefits [2]."
    )
    assert coherence(text) == (1, 0, 0)
    same_section = {"1": "gateshead#Key points", "2": "gateshead#Key points"}
    assert coherence(text, same_section) == (0, 0, 0)
    other_section = {"1": "gateshead#Key points", "2": "wigan#Key points"}
    assert coherence(text, other_section) == (1, 0, 0)


def test_fragments_and_repeats_are_counted():
    text = (
        "- Short one [1].\n- The council phoned fifty residents in arrears [1].\n"
        "- The council phoned fifty residents in arrears again [2]."
    )
    assert coherence(text) == (0, 1, 1)


def test_a_reworded_sentence_is_a_repeat_when_vectors_are_given():
    """Two documents stating one fact in their own words share few words; their vectors tell."""
    text = (
        "- A learning partner works alongside funders and grantees while the work happens [1].\n"
        "- Someone is commissioned to help everyone in a programme reflect as it runs [2].\n"
        "- Councils can adopt longer grant terms and lighter monitoring of providers [3]."
    )
    assert coherence(text) == (0, 0, 0)
    vectors = np.asarray([[1.0, 0.0], [0.9, np.sqrt(1 - 0.81)], [0.0, 1.0]])
    assert coherence(text, vectors=vectors) == (0, 0, 1)

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

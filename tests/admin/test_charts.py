"""Server-rendered charts: accessible SVG (role, title, description), styled only by
presentation attributes (the console's CSP allows no inline style), unique ids per chart, and
data as text, never as markup or mathtext."""

import re
import xml.etree.ElementTree as ET

from hlsguide.admin.charts import SVG, bar_chart, line_chart

NS = {"svg": SVG}


def parsed(markup: str) -> ET.Element:
    return ET.fromstring(str(markup))


def test_a_line_chart_is_a_labelled_image_without_inline_style():
    chart = line_chart(
        "days",
        "Questions per day",
        "Three questions on the first day.",
        ["01 Nov", "02 Nov"],
        {"Asked": [3, 1], "Refused": [1, 0]},
    )
    root = parsed(chart)
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "days-title days-desc"
    assert root.find("svg:title", NS).text == "Questions per day"
    assert root.find("svg:desc", NS).text == "Three questions on the first day."
    assert " style=" not in chart
    assert root.find(".//svg:style", NS) is None
    texts = {t.text for t in root.iter(f"{{{SVG}}}text")}
    assert {"Asked", "Refused", "01 Nov"} <= texts  # text stays text, legend included
    ids = [e.get("id") for e in root.iter() if e.get("id")]
    assert all(i.startswith("days-") for i in ids)
    assert len(ids) == len(set(ids))
    references = re.findall(r'(?:href="#|url\(#)([^")]+)', chart)
    assert references
    assert set(references) <= set(ids)


def test_two_charts_on_one_page_share_no_id():
    first = parsed(bar_chart("a", "A", "a", ["x"], [1]))
    second = parsed(bar_chart("b", "B", "b", ["x"], [1]))
    ids = lambda root: {e.get("id") for e in root.iter() if e.get("id")}  # noqa: E731
    assert not ids(first) & ids(second)


def test_labels_are_text_not_markup_mathtext_or_control_characters():
    hostile = ["<img src=x onerror=alert(1)>", "${$root.secret} $x^2$", "tab\x0cform", "w" * 90]
    chart = bar_chart("h", "T <b>", "D \x00", hostile, [4, 3, 2, 1])
    root = parsed(chart)  # well-formed XML: no control character survived
    texts = [t.text for t in root.iter(f"{{{SVG}}}text") if t.text]
    assert "<img src=x onerror=alert(1)>" in texts
    assert "${$root.secret} $x^2$" in texts  # not typeset as a formula
    assert "tabform" in texts
    assert "w" * 39 + "…" in texts
    assert "<img" not in chart
    assert root.find("svg:title", NS).text == "T <b>"

"""Charts drawn on the server with matplotlib's SVG backend, made accessible and CSP-safe.

Each chart is inline SVG with ``role="img"``, a ``<title>`` and a ``<desc>`` it is labelled
by; the page puts the same numbers in a table beside it. matplotlib styles elements with
``style`` attributes and a ``<style>`` element, which a CSP without 'unsafe-inline' blocks, so
every style declaration is rewritten as the SVG presentation attribute of the same name and
the one global rule moves to the console's stylesheet. Series differ by marker and line style
as well as by colour, and every colour has at least 3:1 contrast with the white background."""

from __future__ import annotations

import io
import re
import threading
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Sequence

from markupsafe import Markup

SVG = "http://www.w3.org/2000/svg"
XLINK = "http://www.w3.org/1999/xlink"
ET.register_namespace("", SVG)
ET.register_namespace("xlink", XLINK)

# GOV.UK blue, red and dark grey: each at least 3:1 against white (WCAG 1.4.11).
COLOURS = ("#1d70b8", "#d4351c", "#505a5f")
MARKERS = ("o", "s", "^")
LINES = ("-", "--", ":")
# The lookbehind keeps the search from restarting inside a number (linear, not quadratic).
_SIZE = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)px")
_URL_REF = re.compile(r"url\(#([^)]+)\)")


LABEL_CHARACTERS = 40  # longer labels are cut in the chart; the table beside it has them whole
# Labels are data (topics, and whatever a lens or a log holds): never mathtext, where "$" would
# start a formula; text stays text (not glyph outlines).
_RC = {"text.parse_math": False, "svg.fonttype": "none"}
# rcParams are global to the process: one chart at a time, so a request's settings never leak
# into another's, in the server's worker threads.
_LOCK = threading.Lock()


def _clean(text: str) -> str:
    """Text without control characters, which XML cannot hold."""
    return "".join(c for c in text if unicodedata.category(c) != "Cc").strip()


def _label(text: str) -> str:
    """A label safe for XML and short enough for the chart."""
    text = _clean(text)
    return text if len(text) <= LABEL_CHARACTERS else text[: LABEL_CHARACTERS - 1] + "…"


def _figure(width: float, height: float):
    # The Figure API, not pyplot: no global state, safe in the server's worker threads.
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=72, layout="constrained")
    return figure, figure.add_subplot()


def _axes_style(axes) -> None:
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(axis="y", color="#b1b4b6", linewidth=0.6)
    axes.set_axisbelow(True)
    axes.tick_params(labelsize=11, colors="#0b0c0c")


def _to_svg(figure, chart_id: str, title: str, description: str) -> Markup:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    root = ET.fromstring(buffer.getvalue())
    for parent in list(root.iter()):
        for child in list(parent):
            if child.tag in (f"{{{SVG}}}metadata", f"{{{SVG}}}style"):
                parent.remove(child)
    for element in root.iter():
        style = element.attrib.pop("style", None)
        for declaration in (style or "").split(";"):
            name, _, value = declaration.partition(":")
            name, value = name.strip(), value.strip()
            if name == "font":  # shorthand: keep the size, the stylesheet sets the family
                if size := _SIZE.search(value):
                    element.set("font-size", size.group(0))
            elif name and value:
                element.set(name, value)
    _prefix_ids(root, chart_id)
    root.set("role", "img")
    root.set("aria-labelledby", f"{chart_id}-title {chart_id}-desc")
    root.set("class", "chart-svg")
    for attribute in ("width", "height"):
        root.attrib.pop(attribute, None)  # the viewBox and the stylesheet size it
    desc = ET.Element(f"{{{SVG}}}desc", id=f"{chart_id}-desc")
    desc.text = _clean(description)
    heading = ET.Element(f"{{{SVG}}}title", id=f"{chart_id}-title")
    heading.text = _clean(title)
    root.insert(0, desc)
    root.insert(0, heading)
    return Markup(ET.tostring(root, encoding="unicode"))


def _prefix_ids(root: ET.Element, chart_id: str) -> None:
    """matplotlib numbers its groups (figure_1, axes_1...) the same in every chart; ids must
    be unique in a page holding several, so each gets the chart's id in front."""
    renamed = {}
    for element in root.iter():
        if (old := element.get("id")) is not None:
            renamed[old] = f"{chart_id}-{old}"
            element.set("id", renamed[old])
    href = f"{{{XLINK}}}href"
    for element in root.iter():
        if (target := element.get(href, "")).startswith("#") and target[1:] in renamed:
            element.set(href, f"#{renamed[target[1:]]}")
        for attribute in ("clip-path", "mask", "filter"):
            if match := _URL_REF.fullmatch(element.get(attribute, "")):
                element.set(attribute, f"url(#{renamed.get(match.group(1), match.group(1))})")


def line_chart(
    chart_id: str,
    title: str,
    description: str,
    labels: Sequence[str],
    series: dict[str, Sequence[int]],
) -> Markup:
    """Counts over time, one line per series (each with its own marker and dash)."""
    import matplotlib

    with _LOCK, matplotlib.rc_context(_RC):  # type: ignore[arg-type]
        return _line_chart(chart_id, title, description, [_label(x) for x in labels], series)


def _line_chart(chart_id, title, description, labels, series) -> Markup:
    figure, axes = _figure(9, 3.6)
    positions = range(len(labels))
    for n, (name, values) in enumerate(series.items()):
        axes.plot(
            positions,
            values,
            label=name,
            color=COLOURS[n % 3],
            marker=MARKERS[n % 3],
            linestyle=LINES[n % 3],
            linewidth=2,
            markersize=5,
        )
    step = max(1, len(labels) // 8)
    axes.set_xticks(list(positions)[::step], list(labels)[::step])
    axes.set_ylim(bottom=0)
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.legend(frameon=False, fontsize=11, loc="upper left")
    _axes_style(axes)
    return _to_svg(figure, chart_id, title, description)


def bar_chart(
    chart_id: str, title: str, description: str, labels: Sequence[str], values: Sequence[int]
) -> Markup:
    """Horizontal bars, largest first from the top."""
    import matplotlib

    with _LOCK, matplotlib.rc_context(_RC):  # type: ignore[arg-type]
        return _bar_chart(chart_id, title, description, [_label(x) for x in labels], values)


def _bar_chart(chart_id, title, description, labels, values) -> Markup:
    figure, axes = _figure(9, max(1.6, 0.42 * len(labels) + 0.8))
    positions = range(len(labels))
    axes.barh(positions, values, color=COLOURS[0])
    axes.set_yticks(list(positions), list(labels))
    axes.invert_yaxis()
    axes.xaxis.get_major_locator().set_params(integer=True)
    for position, value in zip(positions, values, strict=True):
        axes.annotate(
            str(value),
            (value, position),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontsize=11,
            color="#0b0c0c",
        )
    _axes_style(axes)
    axes.grid(axis="x", color="#b1b4b6", linewidth=0.6)
    axes.grid(axis="y", visible=False)
    return _to_svg(figure, chart_id, title, description)

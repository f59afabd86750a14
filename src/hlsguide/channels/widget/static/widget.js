/*
 * hlsguide intranet widget: the <hls-guide> web component. No framework, no build step.
 *
 * Embed with one script tag (the widget talks to the server it was loaded from):
 *   <script src="https://guide.example.gov.uk/widget.js" defer></script>
 *   <hls-guide></hls-guide>
 * Attributes: open (start expanded), floating (pin to the bottom right of the window),
 * heading (panel title), api-base (another http(s) origin serving /v1/ask/stream).
 *
 * Answers are model output, so they are untrusted text. Answer text is never parsed as HTML:
 * every node is built with createElement and text nodes, links are kept only for http(s)
 * URLs, and images are never created, so no external image is ever loaded.
 */
(() => {
  "use strict";

  if (!window.customElements || customElements.get("hls-guide")) return;

  // Read while this script runs: document.currentScript is null in any later callback.
  const SCRIPT = document.currentScript;
  const SCRIPT_ORIGIN =
    SCRIPT && SCRIPT.src ? new URL(SCRIPT.src, location.href).origin : location.origin;

  const CSS = `
:host { display: block; font-family: system-ui, -apple-system, "Segoe UI", Arial, sans-serif;
  font-size: 1rem; line-height: 1.5; color: #0b0c0c; }
:host([hidden]), [hidden] { display: none !important; }
* { box-sizing: border-box; }
.hg { max-width: 40rem; }
:host([floating]) .hg { position: fixed; right: 1rem; bottom: 1rem; z-index: 2147483000;
  width: min(28rem, calc(100vw - 2rem)); display: flex; flex-direction: column;
  align-items: flex-end; }
button { font: inherit; cursor: pointer; min-height: 2.75rem; min-width: 2.75rem;
  border-radius: 0.25rem; }
button:focus-visible, textarea:focus-visible, a:focus-visible, [tabindex]:focus-visible {
  outline: 3px solid #0b0c0c; outline-offset: 0; box-shadow: 0 0 0 6px #ffdd00; }
.primary { background: #1d70b8; color: #ffffff; border: 2px solid #1d70b8;
  padding: 0.4rem 1rem; font-weight: 600; }
.primary:hover { background: #003078; border-color: #003078; }
.secondary { background: #ffffff; color: #0b0c0c; border: 2px solid #505a5f;
  padding: 0.3rem 0.75rem; }
.secondary:hover { background: #f3f2f1; }
.panel { margin-top: 0.5rem; width: 100%; background: #ffffff; border: 2px solid #0b0c0c;
  border-radius: 0.5rem; padding: 1rem; display: flex; flex-direction: column; gap: 0.75rem;
  animation: hg-appear 160ms ease-out; }
:host([floating]) .panel { max-height: calc(100vh - 6rem); overflow: auto;
  box-shadow: 0 0.5rem 2rem rgba(11, 12, 12, 0.25); }
.head { display: flex; align-items: center; gap: 0.5rem; flex-wrap: wrap; }
.head h2 { margin: 0; font-size: 1.25rem; flex: 1 1 12rem; }
.actions { display: flex; gap: 0.5rem; }
.intro, .hint { margin: 0; color: #505a5f; font-size: 0.9rem; }
/* The log grows with the page rather than scrolling inside it: one scroll, not two. */
.log { display: flex; flex-direction: column; gap: 1rem; }
.log:empty { display: none; }
.turn { border-top: 1px solid #b1b4b6; padding-top: 0.75rem; }
.turn:first-child { border-top: 0; padding-top: 0; }
.question { margin: 0 0 0.5rem; font-size: 1rem; font-weight: 700; }
.answer h4, .answer h5, .sources h4 { margin: 0.75rem 0 0.25rem; font-size: 1rem; }
.answer p, .answer ul, .answer ol, .answer blockquote { margin: 0 0 0.5rem; }
.answer blockquote { border-left: 4px solid #b1b4b6; padding-left: 0.75rem; color: #0b0c0c; }
.answer a, .card a { color: #1d70b8; text-decoration: underline; overflow-wrap: anywhere; }
.answer a:visited, .card a:visited { color: #4c2c92; }
.answer code { font-family: ui-monospace, Menlo, Consolas, monospace; background: #f3f2f1;
  padding: 0 0.2rem; }
.omitted { font-style: italic; color: #505a5f; }
.streaming .answer::after { content: "\\2026"; display: inline-block; margin-left: 0.2rem;
  animation: hg-pulse 1s ease-in-out infinite alternate; }
.badge { display: inline-flex; align-items: center; justify-content: center;
  min-width: 1.5rem; min-height: 1.5rem; padding: 0 0.3rem; margin: 0 0.1rem;
  border: 1px solid #1d70b8; border-radius: 0.75rem; background: #1d70b8; color: #ffffff;
  font-size: 0.8rem; font-weight: 700; line-height: 1; vertical-align: baseline; }
.badge:hover { background: #003078; }
.badge-text { font-size: 0.8rem; color: #505a5f; }
.sources ol { margin: 0; padding-left: 0; list-style: none; }
.sources li { margin: 0.25rem 0; }
.source-link { text-align: left; background: #ffffff; border: 0; padding: 0.25rem 0;
  color: #1d70b8; text-decoration: underline; min-height: 1.5rem; }
.source-link:hover { color: #003078; }
.error { color: #942514; font-weight: 600; }
.card { border: 2px solid #1d70b8; border-radius: 0.5rem; padding: 0.75rem; background: #f8f8f8;
  animation: hg-appear 160ms ease-out; }
.card-head { display: flex; align-items: flex-start; gap: 0.5rem; }
.card-head div { flex: 1 1 auto; }
.card-kicker { margin: 0; font-size: 0.85rem; color: #505a5f; }
.card h3 { margin: 0; font-size: 1.1rem; }
.card-meta { margin: 0.25rem 0 0; color: #505a5f; font-size: 0.9rem; }
.card blockquote { margin: 0.5rem 0; border-left: 4px solid #1d70b8; padding-left: 0.75rem; }
.card h4 { margin: 0.5rem 0 0.25rem; font-size: 0.95rem; }
.card ul { margin: 0; padding-left: 1.25rem; }
form { display: flex; flex-direction: column; gap: 0.35rem; }
label { font-weight: 700; }
.row { display: flex; gap: 0.5rem; align-items: stretch; }
textarea { flex: 1 1 auto; font: inherit; padding: 0.4rem; border: 2px solid #0b0c0c;
  border-radius: 0.25rem; resize: vertical; min-height: 2.75rem; color: #0b0c0c;
  background: #ffffff; }
textarea[aria-invalid="true"] { border-color: #942514; }
.status { margin: 0; min-height: 1.5em; font-size: 0.9rem; color: #0b0c0c; }
.visually-hidden { position: absolute !important; width: 1px !important; height: 1px !important;
  margin: 0 !important; padding: 0 !important; overflow: hidden !important;
  clip: rect(0 0 0 0) !important; clip-path: inset(50%) !important; border: 0 !important;
  white-space: nowrap !important; }
@keyframes hg-appear { from { opacity: 0; transform: translateY(0.25rem); } to { opacity: 1; } }
@keyframes hg-pulse { from { opacity: 0.2; } to { opacity: 1; } }
@media (prefers-reduced-motion: reduce) {
  *, *::before, *::after { animation: none !important; transition: none !important;
    scroll-behavior: auto !important; }
}
@media (forced-colors: active) {
  .badge, .primary { border: 2px solid ButtonText; }
  button:focus-visible, textarea:focus-visible, a:focus-visible { outline-color: Highlight; }
}
`;

  const HTTP_SCHEMES = new Set(["http:", "https:"]);

  /** An absolute http(s) URL, or null: relative, javascript:, data: and the rest are refused. */
  function safeHttpUrl(text) {
    try {
      const url = new URL(String(text).trim());
      return HTTP_SCHEMES.has(url.protocol) ? url.href : null;
    } catch {
      return null;
    }
  }

  /** An element with attributes and children; strings become text nodes, never markup. */
  function h(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === false || value === null || value === undefined) continue;
      node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  function prefersReducedMotion() {
    return window.matchMedia && matchMedia("(prefers-reduced-motion: reduce)").matches;
  }

  // ---------------------------------------------------------------- server-sent events

  /** Reads a text/event-stream body and calls onEvent(name, parsedJson) per frame. */
  async function readEvents(body, onEvent) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      // A lone trailing \r may be the first half of \r\n: keep it until the next chunk.
      buffer = (buffer + value).replace(/\r\n|\r(?=[\s\S])/g, "\n");
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        dispatchFrame(buffer.slice(0, end), onEvent);
        buffer = buffer.slice(end + 2);
      }
    }
    if (buffer.trim()) dispatchFrame(buffer.replace(/\r$/, ""), onEvent);
  }

  function dispatchFrame(frame, onEvent) {
    let event = "message";
    const data = [];
    for (const line of frame.split("\n")) {
      if (!line || line.startsWith(":")) continue; // comments keep the connection alive
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "event") event = value;
      else if (field === "data") data.push(value);
    }
    if (!data.length) return;
    let payload;
    try {
      payload = JSON.parse(data.join("\n"));
    } catch {
      return; // not ours to guess at
    }
    onEvent(event, payload);
  }

  // ---------------------------------------------------------------- Markdown subset

  // Images first (never loaded), then links, citation markers, bold, code and bare URLs.
  const INLINE =
    /!\[([^\]\n]*)\]\(([^)\n]*)\)|\[([^\]\n]+)\]\(\s*([^)\s]*)(?:\s+"[^"\n]*")?\s*\)|\[(\d{1,3})\]|\*\*([^*\n]+?)\*\*|`([^`\n]+)`|(https?:\/\/[^\s<>"'`)\]]+)/g;

  /**
   * Renders Markdown answers block by block as they stream: headings, paragraphs, lists,
   * block quotes, bold, code, http(s) links and [n] citation badges. The answer's own
   * "Sources" section is left out: the widget lists the citations it receives instead.
   */
  class AnswerRenderer {
    constructor(container, makeBadge) {
      this.container = container;
      this.makeBadge = makeBadge;
      this.pending = "";
      this.atSources = false;
    }

    /** Adds streamed text; renders each block once the blank line that ends it arrives. */
    push(text) {
      this.pending += text;
      const cut = this.pending.lastIndexOf("\n\n");
      if (cut < 0) return;
      const ready = this.pending.slice(0, cut);
      this.pending = this.pending.slice(cut + 2);
      this.renderBlocks(ready);
    }

    /** Renders what is left when the stream ends. */
    finish() {
      const rest = this.pending;
      this.pending = "";
      this.renderBlocks(rest);
    }

    renderBlocks(text) {
      for (const block of text.split(/\n[ \t]*\n/)) {
        if (this.atSources || !block.trim()) continue;
        this.container.append(...this.blockNodes(block));
      }
    }

    blockNodes(block) {
      const nodes = [];
      let paragraph = [];
      let list = null;
      let quote = [];
      const flushParagraph = () => {
        if (paragraph.length) nodes.push(this.inline(h("p"), paragraph.join(" ")));
        paragraph = [];
      };
      const flushQuote = () => {
        if (quote.length) nodes.push(h("blockquote", {}, this.inline(h("p"), quote.join(" "))));
        quote = [];
      };
      const flushAll = () => {
        flushParagraph();
        flushQuote();
        list = null;
      };
      for (const line of block.split("\n")) {
        if (this.atSources) break;
        const heading = /^\s{0,3}(#{1,6})\s+(.*?)[\s#]*$/.exec(line);
        const item = /^\s*(?:[-*+]|(\d{1,9})[.)])\s+(.*)$/.exec(line);
        const quoted = /^\s{0,3}>\s?(.*)$/.exec(line);
        if (heading) {
          flushAll();
          if (/^sources$/i.test(heading[2].trim())) {
            this.atSources = true;
            break;
          }
          // The panel title is h2 and each question h3, so answer headings start at h4.
          nodes.push(this.inline(h(heading[1].length <= 3 ? "h4" : "h5"), heading[2]));
        } else if (item) {
          flushParagraph();
          flushQuote();
          const ordered = item[1] !== undefined;
          if (!list || list.ordered !== ordered) {
            const start = ordered && item[1] !== "1" ? Number(item[1]) : null;
            list = { ordered, node: h(ordered ? "ol" : "ul", { start }) };
            nodes.push(list.node);
          }
          list.node.append(this.inline(h("li"), item[2]));
        } else if (quoted) {
          flushParagraph();
          list = null;
          quote.push(quoted[1]);
        } else if (list && /^\s+\S/.test(line)) {
          list.node.lastElementChild.append(" ");
          this.inline(list.node.lastElementChild, line.trim());
        } else if (line.trim()) {
          flushQuote();
          list = null;
          paragraph.push(line.trim());
        }
      }
      flushAll();
      return nodes;
    }

    /** Appends inline Markdown to parent as text nodes and safe elements; returns parent. */
    inline(parent, text) {
      let last = 0;
      for (const match of text.matchAll(INLINE)) {
        if (match.index > last) parent.append(text.slice(last, match.index));
        parent.append(this.inlineToken(match));
        last = match.index + match[0].length;
      }
      if (last < text.length) parent.append(text.slice(last));
      return parent;
    }

    inlineToken(match) {
      const [whole, imageAlt, , linkText, linkUrl, marker, bold, code, bareUrl] = match;
      if (imageAlt !== undefined) {
        const label = imageAlt.trim() ? `image not shown: ${imageAlt.trim()}` : "image not shown";
        return h("span", { class: "omitted" }, `[${label}]`);
      }
      if (linkText !== undefined) {
        const href = safeHttpUrl(linkUrl);
        return href ? externalLink(href, linkText) : document.createTextNode(linkText);
      }
      if (marker !== undefined) return this.makeBadge(Number(marker));
      if (bold !== undefined) return this.inline(h("strong"), bold);
      if (code !== undefined) return h("code", {}, code);
      if (bareUrl !== undefined) {
        const trimmed = bareUrl.replace(/[.,;:!?]+$/, "");
        const href = safeHttpUrl(trimmed);
        if (!href) return document.createTextNode(bareUrl);
        const fragment = document.createDocumentFragment();
        fragment.append(externalLink(href, trimmed), bareUrl.slice(trimmed.length));
        return fragment;
      }
      return document.createTextNode(whole);
    }
  }

  function externalLink(href, text) {
    return h(
      "a",
      { href, target: "_blank", rel: "noopener noreferrer nofollow" },
      text,
      h("span", { class: "visually-hidden" }, " (opens in a new tab)"),
    );
  }

  /** A quote as plain words: the corpus's own Markdown marks are dropped for display. */
  function plainQuote(text) {
    return String(text || "")
      .replace(/\*\*/g, "")
      .replace(/\[\[([^\]]+)\]\]/g, (_, id) => id.replace(/-/g, " "))
      .replace(/^\s*[-*+]\s+/, "")
      .trim();
  }

  // ---------------------------------------------------------------- the element

  class HlsGuide extends HTMLElement {
    constructor() {
      super();
      this.conversationId = null;
      // Without an API key the server makes a conversation ours by a secret it hands back
      // with each answer; only the holder may continue it. Kept in memory, never stored.
      this.conversationSecret = null;
      this.busy = false;
      this.controller = null;
      this.cardOpener = null;
      this.root = this.attachShadow({ mode: "open" });
      this.adoptStyles();
      this.build();
    }

    adoptStyles() {
      // A constructed sheet works under a strict host-page CSP; <style> would need
      // 'unsafe-inline' in style-src. Older browsers get the <style> fallback.
      if ("adoptedStyleSheets" in Document.prototype && "replaceSync" in CSSStyleSheet.prototype) {
        const sheet = new CSSStyleSheet();
        sheet.replaceSync(CSS);
        this.root.adoptedStyleSheets = [sheet];
      } else {
        this.root.append(h("style", {}, CSS));
      }
    }

    build() {
      const title = this.getAttribute("heading") || "Human Learning Systems guide";
      this.launcher = h(
        "button",
        {
          type: "button",
          class: "primary launcher",
          "aria-expanded": "false",
          "aria-controls": "panel",
        },
        "Ask the HLS guide",
      );
      this.titleNode = h("h2", { id: "title" }, title);
      this.newButton = h("button", { type: "button", class: "secondary" }, "New conversation");
      this.closeButton = h(
        "button",
        { type: "button", class: "secondary", "aria-label": "Close the guide" },
        "Close",
      );
      this.log = h("div", {
        class: "log",
        role: "log",
        "aria-live": "polite",
        "aria-relevant": "additions text",
        "aria-label": "Conversation with the guide",
      });
      this.card = this.buildCard();
      this.input = h("textarea", {
        id: "question",
        name: "question",
        rows: "2",
        maxlength: "2000",
        autocomplete: "off",
        "aria-describedby": "hint",
      });
      this.askButton = h("button", { type: "submit", class: "primary" }, "Ask");
      this.form = h(
        "form",
        { novalidate: true },
        h("label", { for: "question" }, "Your question"),
        h("div", { class: "row" }, this.input, this.askButton),
        h(
          "p",
          { id: "hint", class: "hint" },
          "Press Enter to ask, Shift and Enter for a new line.",
        ),
      );
      this.status = h("p", { class: "status", role: "status", "aria-live": "polite" });
      this.panel = h(
        "section",
        { id: "panel", class: "panel", "aria-labelledby": "title", hidden: true },
        h(
          "div",
          { class: "head" },
          this.titleNode,
          h("div", { class: "actions" }, this.newButton, this.closeButton),
        ),
        h(
          "p",
          { class: "intro" },
          "Ask about commissioning, funding and managing public services in complexity. " +
            "Every answer cites its sources: select a number to read the source.",
        ),
        this.log,
        this.card,
        this.form,
        this.status,
      );
      this.root.append(h("div", { class: "hg" }, this.launcher, this.panel));

      this.launcher.addEventListener("click", () =>
        this.panel.hidden ? this.open() : this.close(),
      );
      this.closeButton.addEventListener("click", () => this.close());
      this.newButton.addEventListener("click", () => this.reset());
      this.form.addEventListener("submit", (event) => {
        event.preventDefault();
        this.submit();
      });
      this.input.addEventListener("keydown", (event) => {
        if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
          event.preventDefault();
          this.submit();
        }
      });
      this.input.addEventListener("input", () => this.input.removeAttribute("aria-invalid"));
      this.root.addEventListener("keydown", (event) => this.onKeydown(event));
    }

    buildCard() {
      this.cardKicker = h("p", { class: "card-kicker" });
      this.cardTitle = h("h3", { id: "card-title", tabindex: "-1" });
      this.cardMeta = h("p", { class: "card-meta" });
      this.cardQuote = h("blockquote");
      this.cardPublications = h("div");
      this.cardClose = h("button", { type: "button", class: "secondary" }, "Close source");
      this.cardClose.addEventListener("click", () => this.closeCard());
      return h(
        "section",
        {
          id: "card",
          class: "card",
          role: "dialog",
          "aria-modal": "false",
          "aria-labelledby": "card-title",
          hidden: true,
        },
        h(
          "div",
          { class: "card-head" },
          h("div", {}, this.cardKicker, this.cardTitle),
          this.cardClose,
        ),
        this.cardMeta,
        this.cardQuote,
        this.cardPublications,
      );
    }

    connectedCallback() {
      if (this.hasAttribute("open") && this.panel.hidden) this.open({ focus: false });
    }

    get apiBase() {
      const configured = this.getAttribute("api-base");
      const safe = configured && safeHttpUrl(configured);
      return safe ? new URL(safe).origin : SCRIPT_ORIGIN;
    }

    open({ focus = true } = {}) {
      this.panel.hidden = false;
      this.launcher.setAttribute("aria-expanded", "true");
      if (focus) this.input.focus();
    }

    close() {
      this.closeCard({ restoreFocus: false });
      this.panel.hidden = true;
      this.launcher.setAttribute("aria-expanded", "false");
      this.launcher.focus();
    }

    onKeydown(event) {
      if (event.key !== "Escape") return;
      if (!this.card.hidden) this.closeCard();
      else if (!this.panel.hidden) this.close();
      else return;
      event.preventDefault();
      event.stopPropagation();
    }

    reset() {
      if (this.controller) this.controller.abort();
      this.closeCard({ restoreFocus: false });
      this.conversationId = null;
      this.conversationSecret = null;
      this.log.replaceChildren();
      this.setStatus("Started a new conversation.");
      this.input.focus();
    }

    setStatus(text) {
      this.status.textContent = text;
    }

    /** Brings the question field into view (in the page, or in the floating panel) when a
     * question is asked; later the reader scrolls, so the page never moves under them. */
    scrollToEnd() {
      this.form.scrollIntoView({
        block: "nearest",
        behavior: prefersReducedMotion() ? "auto" : "smooth",
      });
    }

    submit() {
      const question = this.input.value.trim();
      if (!question) {
        this.input.setAttribute("aria-invalid", "true");
        this.setStatus("Type a question first.");
        this.input.focus();
        return;
      }
      if (this.busy) {
        this.setStatus("Please wait: the guide is still answering your last question.");
        return;
      }
      this.input.value = "";
      this.ask(question);
    }

    // ------------------------------------------------------------ one question, streamed

    newTurn(question) {
      const turn = {
        citations: new Map(),
        badges: [],
        node: null,
        answer: h("div", { class: "answer" }),
        sources: h("div", { class: "sources", hidden: true }),
      };
      turn.node = h(
        "article",
        { class: "turn streaming" },
        h(
          "h3",
          { class: "question" },
          h("span", { class: "visually-hidden" }, "You asked: "),
          question,
        ),
        turn.answer,
        turn.sources,
      );
      turn.renderer = new AnswerRenderer(turn.answer, (n) => this.badge(turn, n));
      this.log.append(turn.node);
      this.scrollToEnd();
      return turn;
    }

    badge(turn, n) {
      const button = h(
        "button",
        {
          type: "button",
          class: "badge",
          "aria-label": `Source ${n}`,
          "aria-haspopup": "dialog",
          "data-n": String(n),
        },
        String(n),
      );
      button.addEventListener("click", () => this.openCard(turn, n, button));
      turn.badges.push(button);
      return button;
    }

    async ask(question) {
      this.busy = true;
      this.controller = new AbortController();
      const controller = this.controller;
      const turn = this.newTurn(question);
      this.setStatus("The guide is looking for sources…");
      const body = { question };
      if (this.conversationId) body.conversation_id = this.conversationId;
      if (this.conversationId && this.conversationSecret) {
        body.conversation_secret = this.conversationSecret;
      }
      try {
        const response = await fetch(`${this.apiBase}/v1/ask/stream`, {
          method: "POST",
          mode: "cors",
          credentials: "omit",
          headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
          body: JSON.stringify(body),
          signal: controller.signal,
        });
        if (!response.ok || !response.body) {
          await this.failed(turn, response);
          return;
        }
        this.setStatus("The guide is answering…");
        let done = false;
        await readEvents(response.body, (event, data) => {
          if (event === "done") done = true;
          this.onEvent(turn, event, data);
        });
        if (!done) this.showError(turn, "The answer was cut off. Please ask again.");
      } catch (error) {
        if (controller.signal.aborted) return;
        this.showError(
          turn,
          "The guide could not be reached. Check your connection and try again.",
        );
      } finally {
        turn.node.classList.remove("streaming");
        if (this.controller === controller) {
          this.busy = false;
          this.controller = null;
        }
      }
    }

    onEvent(turn, event, data) {
      if (event === "delta" && typeof data.text === "string") {
        turn.renderer.push(data.text);
      } else if (event === "citation" && Number.isInteger(data.n)) {
        turn.citations.set(data.n, data);
      } else if (event === "done") {
        turn.renderer.finish();
        this.finishTurn(turn, data);
      }
    }

    finishTurn(turn, data) {
      if (typeof data.conversation_id === "string") this.conversationId = data.conversation_id;
      if (typeof data.conversation_secret === "string") {
        this.conversationSecret = data.conversation_secret;
      }
      for (const citation of Array.isArray(data.citations) ? data.citations : []) {
        if (Number.isInteger(citation.n)) turn.citations.set(citation.n, citation);
      }
      for (const badge of turn.badges) {
        const citation = turn.citations.get(Number(badge.dataset.n));
        if (citation) badge.setAttribute("aria-label", `Source ${citation.n}: ${citation.title}`);
        else badge.replaceWith(h("span", { class: "badge-text" }, `[${badge.dataset.n}]`));
      }
      this.renderSources(turn);
      const count = turn.citations.size;
      if (data.refused) this.setStatus("The guide could not answer that from its sources.");
      else this.setStatus(`Answer ready, with ${count} ${count === 1 ? "source" : "sources"}.`);
    }

    renderSources(turn) {
      if (!turn.citations.size) return;
      const list = h("ol");
      for (const citation of [...turn.citations.values()].sort((a, b) => a.n - b.n)) {
        const button = h(
          "button",
          { type: "button", class: "source-link", "aria-haspopup": "dialog" },
          `${citation.n}. ${citation.title}${citation.heading ? `: ${citation.heading}` : ""}`,
        );
        button.addEventListener("click", () => this.openCard(turn, citation.n, button));
        list.append(h("li", {}, button));
      }
      turn.sources.replaceChildren(h("h4", {}, "Sources"), list);
      turn.sources.hidden = false;
    }

    async failed(turn, response) {
      let detail = "";
      try {
        const body = await response.json();
        detail = Array.isArray(body.detail)
          ? body.detail
              .map((d) => d && d.msg)
              .filter(Boolean)
              .join("; ")
          : String(body.detail || "");
      } catch {
        // no JSON body: the status code says enough
      }
      if (response.status === 404 && this.conversationId) {
        this.conversationId = null;
        this.conversationSecret = null;
        this.showError(
          turn,
          "That conversation is no longer available. Ask again to start a new one.",
        );
      } else if (response.status === 422) {
        this.showError(
          turn,
          `The guide could not take that question: ${detail || "it is not valid"}.`,
        );
      } else if (response.status === 503) {
        // Either the first index build is still running or every answer slot is taken.
        const reason = detail ? ` (${detail})` : "";
        this.showError(turn, `The guide cannot answer right now${reason}. Please try again soon.`);
      } else if (response.status === 401 || response.status === 403) {
        this.showError(turn, "This page is not allowed to ask the guide. Please tell its owner.");
      } else if (response.status === 429) {
        this.showError(turn, "Too many questions at once. Please wait a moment and try again.");
      } else {
        this.showError(
          turn,
          `The guide could not answer (error ${response.status}). Please try again.`,
        );
      }
    }

    showError(turn, message) {
      turn.answer.append(h("p", { class: "error" }, message));
      this.setStatus(message);
    }

    // ------------------------------------------------------------ source cards

    openCard(turn, n, opener) {
      const citation = turn.citations.get(n);
      if (!citation) {
        this.setStatus(`Source ${n} is still arriving.`);
        return;
      }
      this.cardOpener = opener;
      this.cardKicker.textContent = `Source ${citation.n}`;
      this.cardTitle.textContent = citation.title || "Untitled source";
      const meta = [citation.heading, citation.kind].filter(Boolean).join(" · ");
      this.cardMeta.textContent = meta;
      this.cardMeta.hidden = !meta;
      this.cardQuote.textContent = plainQuote(citation.quote);
      this.cardQuote.hidden = !this.cardQuote.textContent;
      this.cardPublications.replaceChildren();
      const publications = Array.isArray(citation.publications) ? citation.publications : [];
      if (publications.length) {
        const list = h("ul");
        for (const publication of publications) {
          const item = h("li", {}, String(publication.formatted || publication.id || ""));
          const href =
            safeHttpUrl(publication.url || "") ||
            (publication.doi ? safeHttpUrl(`https://doi.org/${publication.doi}`) : null);
          if (href) item.append(" ", externalLink(href, href));
          list.append(item);
        }
        this.cardPublications.append(
          h("h4", {}, publications.length === 1 ? "Publication" : "Publications"),
          list,
        );
      }
      this.card.hidden = false;
      this.cardTitle.focus();
      this.card.scrollIntoView({
        block: "nearest",
        behavior: prefersReducedMotion() ? "auto" : "smooth",
      });
    }

    closeCard({ restoreFocus = true } = {}) {
      if (this.card.hidden) return;
      this.card.hidden = true;
      const opener = this.cardOpener;
      this.cardOpener = null;
      if (!restoreFocus) return;
      if (opener && opener.isConnected) opener.focus();
      else this.input.focus();
    }
  }

  customElements.define("hls-guide", HlsGuide);
})();

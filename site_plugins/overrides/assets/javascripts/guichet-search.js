/* The header search: Guichet's suggestion index through GET /api/v1/suggest; Material's own lunr worker on the site's
   search_index.json when the index abstains or the service does not answer, so a static copy still searches.
   A combobox (arrows, Enter, Escape, Tab as Material's search); texts only ever become text nodes. */
(function () {
  "use strict";
  var G = window.Guichet;
  var el = G.el;
  var DEBOUNCE_MS = 250;  // at most 4 requests a second while typing: under SUGGEST_PER_SECOND (5) for one person
  var MIN_CHARS = 3;  // the API answers nothing below this
  var K = 10;
  var SERVICE_RETRY_MS = 30000;  // after a failure, lunr alone for a while instead of waiting on a dead service
  var TEASER_CHARS = 220;
  var SETUP = 0, READY = 1, QUERY = 2, RESULT = 3;  // Material's search worker messages
  var config = readConfig();
  var s = { input: null, list: null, status: null, seq: 0, timer: null, active: -1, results: [], shownFor: null,
            cache: new Map(), serviceDownUntil: 0, lunr: null, openFirst: false };

  /* Material's __config, resolved against the first page: instant navigation never reloads it. */
  function readConfig() {
    var data = {};
    try { data = JSON.parse(document.getElementById("__config").textContent); } catch (e) { data = {}; }
    return { base: new URL(data.base || ".", location.href),
             worker: data.search ? new URL(data.search, location.href) : null };
  }

  function toggle() { return document.getElementById("__search"); }

  function setOpen(open) {
    var t = toggle();
    if (t && t.checked !== open) t.click();  // a click, as Material does, so its own watchers see the change
    expanded();
  }

  function expanded() {
    var open = !!(toggle() && toggle().checked);
    s.list.hidden = !open;  // Material only fades the closed search out: keep it out of the accessibility tree too
    s.input.setAttribute("aria-expanded", String(open && s.results.length > 0));
  }

  function init() {
    var input = document.getElementById("gh-search-input");
    if (!input || input.dataset.ghWired) { if (s.input) closeAfterNavigation(); return; }
    input.dataset.ghWired = "1";
    s.input = input;
    s.list = document.getElementById("gh-search-results");
    s.status = document.getElementById("gh-search-status");
    input.addEventListener("input", function () { setOpen(true); schedule(DEBOUNCE_MS); });
    input.addEventListener("focus", function () { setOpen(true); });
    input.addEventListener("click", function () { setOpen(true); });
    input.addEventListener("keydown", onKey);
    input.form.addEventListener("submit", function (e) { e.preventDefault(); });
    input.form.addEventListener("reset", function () {
      setTimeout(function () { render([], "short", ""); input.focus(); }, 0);
    });
    s.list.addEventListener("click", function (e) { if (e.target.closest("a")) setOpen(false); });
    var t = toggle();
    if (t) t.addEventListener("change", function () {
      if (t.checked && document.activeElement !== input) input.focus();
      if (!t.checked) select(-1);
      expanded();
    });
    // The header's magnifier on phones: open, then focus inside the click so the on-screen keyboard comes up (iOS);
    // the label's own toggling is cancelled, or it would close what the focus opened.
    document.querySelectorAll("header label.md-header__button[for=__search]").forEach(function (label) {
      label.addEventListener("click", function (e) { e.preventDefault(); setOpen(true); input.focus(); });
    });
    document.addEventListener("keydown", shortcut);
    var q = new URLSearchParams(location.search).get("q");  // deep link, as Material's search offers it
    if (q) { input.value = q.slice(0, 200); input.focus(); schedule(0); }
  }

  function closeAfterNavigation() {
    clearTimeout(s.timer);
    select(-1);
    if (toggle() && toggle().checked && document.activeElement !== s.input) setOpen(false);
  }

  /* « s », « f » or « / » anywhere but in a field: to the search box, as in Material. */
  function shortcut(e) {
    if (e.ctrlKey || e.metaKey || e.altKey || ["s", "f", "/"].indexOf(e.key) < 0) return;
    var target = e.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
    e.preventDefault();
    s.input.focus();
    s.input.select();
  }

  function onKey(e) {
    switch (e.key) {
      case "ArrowDown":
      case "ArrowUp":
        e.preventDefault();
        if (!s.results.length) return;
        var n = s.results.length + 1;  // the field itself is the extra stop, as in Material
        var next = ((s.active + 1) + (e.key === "ArrowDown" ? 1 : -1) + n) % n - 1;
        select(next);
        break;
      case "Enter":
        e.preventDefault();
        if (s.timer || s.shownFor !== query()) { s.openFirst = true; schedule(0); return; }  // results of older text
        open(s.active >= 0 ? s.active : 0);
        break;
      case "Escape":
        e.preventDefault();
        setOpen(false);
        s.input.blur();
        break;
      case "Tab":
        setOpen(false);
        break;
    }
  }

  function query() { return s.input.value.split(/\s+/).filter(Boolean).join(" "); }

  function select(index) {
    var options = s.list.querySelectorAll("[role=option]");
    options.forEach(function (option, i) { option.setAttribute("aria-selected", String(i === index)); });
    s.active = index >= 0 && index < options.length ? index : -1;
    if (s.active < 0) { s.input.removeAttribute("aria-activedescendant"); return; }
    s.input.setAttribute("aria-activedescendant", options[s.active].id);
    options[s.active].scrollIntoView({ block: "nearest" });
  }

  function open(index) {
    var link = s.list.querySelectorAll("[role=option] a")[index];
    if (!link) return;
    setOpen(false);
    link.click();  // a real click on the link: Material's instant navigation takes it from there
  }

  function schedule(delay) {
    clearTimeout(s.timer);
    s.timer = setTimeout(function () { s.timer = null; search(query()); }, delay);
  }

  function search(text) {
    var mine = ++s.seq;
    if (text.length < MIN_CHARS) { s.openFirst = false; render([], "short", text); return; }
    var cached = s.cache.get(text);
    var answer = cached ? Promise.resolve(cached) : ask(text).then(function (found) {
      if (found.source !== "offline") remember(text, found);
      return found;
    });
    answer.then(function (found) {
      if (mine !== s.seq) return;  // a newer keystroke won
      render(found.results, found.source, text);
      if (s.openFirst) { s.openFirst = false; open(0); }
    });
  }

  function remember(text, found) {
    s.cache.set(text, found);
    if (s.cache.size > 50) s.cache.delete(s.cache.keys().next().value);
  }

  /* Guichet's ranking when it has one; lunr's when the index abstains (a search box owes an answer) or fails. */
  function ask(text) {
    if (Date.now() < s.serviceDownUntil) return fallback(text, "offline");
    return G.api("GET", "/api/v1/suggest?k=" + K + "&q=" + encodeURIComponent(text)).then(function (r) {
      var body = r.ok && r.body && Array.isArray(r.body.suggestions) ? r.body : null;
      if (!body) {
        if (r.status !== 429) s.serviceDownUntil = Date.now() + SERVICE_RETRY_MS;  // 429: only this keystroke
        return fallback(text, "offline");
      }
      var results = body.abstained ? [] : body.suggestions.filter(function (x) { return x.url; }).map(fromGuichet);
      return results.length ? { results: results, source: "guichet" } : fallback(text, "abstained");
    }, function () {
      s.serviceDownUntil = Date.now() + SERVICE_RETRY_MS;
      return fallback(text, "offline");
    });
  }

  function fallback(text, source) {
    return lunrSearch(text).then(function (groups) {
      return { results: groups.slice(0, K).map(fromLunr), source: source };
    }, function () { return { results: [], source: source === "abstained" ? source : "unavailable" }; });
  }

  /* Segments [text, marked] from the API's snippet and its highlight offsets (code points, as in Python). */
  function fromGuichet(x) {
    var chars = Array.from(x.snippet || ""), segments = [], at = 0;
    (x.highlights || []).forEach(function (span) {
      var start = Math.max(span[0], at), end = Math.min(span[1], chars.length);
      if (start >= end) return;
      segments.push([chars.slice(at, start).join(""), false], [chars.slice(start, end).join(""), true]);
      at = end;
    });
    segments.push([chars.slice(at).join(""), false]);
    return { url: x.url, title: [[x.title, false]], teaser: segments, id: x.id };
  }

  /* One entry per page: its title, and the best-scoring passage with a match (items come best first). */
  function fromLunr(group) {
    var page = group.filter(function (item) { return item.location.indexOf("#") < 0; })[0] || group[0];
    var passage = group.filter(function (item) { return /<mark/.test(item.text || ""); })[0] || page;
    return { url: new URL(page.location.split("#")[0], config.base).href, title: marked(page.title),
             teaser: around(marked(passage.text || ""), TEASER_CHARS) };
  }

  /* The worker's fields are HTML of our own built pages: keep their text and <mark>s, nothing else. */
  function marked(html) {
    var body = new DOMParser().parseFromString(html, "text/html").body;
    var segments = [];
    var walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT);
    for (var node = walker.nextNode(); node; node = walker.nextNode()) {
      segments.push([node.nodeValue.replace(/\s+/g, " "), !!node.parentElement.closest("mark")]);
    }
    return segments;
  }

  function around(segments, limit) {
    var text = segments.map(function (x) { return x[0]; }).join("");
    var first = 0, at = 0;
    for (var i = 0; i < segments.length; i++) {
      if (segments[i][1]) { first = at; break; }
      at += segments[i][0].length;
    }
    var start = Math.max(0, Math.min(first - 60, text.length - limit));
    if (start > 0) start = Math.min(first, text.indexOf(" ", start) + 1 || start);  // from a word's start
    var end = Math.min(text.length, start + limit);
    if (end < text.length) end = Math.max(text.lastIndexOf(" ", end), first + 1);  // to a word's end
    var out = [], pos = 0;
    segments.forEach(function (x) {
      var from = Math.max(start, pos), to = Math.min(end, pos + x[0].length);
      if (from < to) out.push([x[0].slice(from - pos, to - pos), x[1]]);
      pos += x[0].length;
    });
    if (out.length) {
      out[0][0] = out[0][0].replace(/^\s+/, "");
      out[out.length - 1][0] = out[out.length - 1][0].replace(/\s+$/, "");
    }
    if (start > 0) out.unshift(["… ", false]);
    if (end < text.length) out.push([" …", false]);
    return out;
  }

  function lunrSearch(text) {
    if (!s.lunr) {
      s.lunr = startLunr();
      s.lunr.catch(function () { s.lunr = null; });  // try again on the next search
    }
    return s.lunr.then(function (worker) {
      return new Promise(function (resolve) {
        worker.waiting.push(resolve);
        worker.w.postMessage({ type: QUERY, data: text });
      });
    });
  }

  /* Material's worker and index, set up the way its own search does (the same SETUP message). */
  function startLunr() {
    if (!config.worker || typeof Worker === "undefined") return Promise.reject(new Error("no search worker"));
    return fetch(new URL("search/search_index.json", config.base), { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) throw new Error("search index " + r.status);
      return r.json();
    }).then(function (index) {
      return new Promise(function (resolve, reject) {
        var w = new Worker(config.worker), waiting = [];
        w.addEventListener("message", function (e) {
          if (e.data.type === READY) resolve({ w: w, waiting: waiting });
          else if (e.data.type === RESULT && waiting.length) waiting.shift()((e.data.data && e.data.data.items) || []);
        });
        w.addEventListener("error", reject);
        w.postMessage({ type: SETUP, data: { config: index.config, docs: index.docs, options: { suggest: false } } });
      });
    });
  }

  function statusText(count, source) {
    if (source === "short") return "Tapez au moins 3 caractères";
    if (source === "unavailable") return "La recherche est momentanément indisponible : réessayez dans un instant.";
    if (!count) {
      return "Aucune fiche trouvée : essayez d'autres mots, ou décrivez votre problème sur « Demander de l'aide ».";
    }
    var found = count + (count > 1 ? " fiches trouvées" : " fiche trouvée");
    if (source === "abstained") {
      return "Aucune fiche ne répond exactement ; " + count + (count > 1 ? " fiches contiennent" : " fiche contient")
        + " ces mots";
    }
    if (source === "offline") return found + " (recherche simplifiée : le service ne répond pas)";
    return found;
  }

  function segmentNodes(segments) {
    return segments.filter(function (x) { return x[0]; }).map(function (x) {
      return x[1] ? el("mark", { text: x[0] }) : document.createTextNode(x[0]);
    });
  }

  function render(results, source, text) {
    s.results = results;
    s.shownFor = text;
    s.list.textContent = "";
    s.list.setAttribute("data-gh-source", source);
    s.list.setAttribute("data-gh-query", text);  // what the list answers (tests and benchmarks wait on it)
    results.forEach(function (r, i) {
      var article = el("article", { class: "md-search-result__article md-typeset" }, [
        el("div", { class: "md-search-result__icon md-icon" }),
        el("h1", {}, segmentNodes(r.title)),
        el("p", { class: "md-search-result__teaser" }, segmentNodes(r.teaser))]);
      var link = el("a", { class: "md-search-result__link", href: r.url, tabindex: "-1" }, [article]);
      s.list.appendChild(el("li", { class: "md-search-result__item", role: "option", id: "gh-search-option-" + i,
                                    "aria-selected": "false", "data-gh-article": r.id || null }, [link]));
    });
    s.active = -1;
    s.input.removeAttribute("aria-activedescendant");
    s.status.textContent = statusText(results.length, source);
    expanded();
  }

  document$.subscribe(init);
})();

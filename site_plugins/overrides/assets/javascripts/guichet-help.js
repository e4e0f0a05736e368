/* « Demander de l'aide »: suggestions while typing, « Ça a résolu mon problème », the draft kept while reading an
   article, the service catalogue with each item's own fields, sign-in when needed, then the ticket, its expected
   response time and « Finalement c'est résolu ». */
(function () {
  "use strict";
  var G = window.Guichet;
  var el = G.el;
  var KEY = "gh-help-state";
  var MIN_CHARS = 3;
  var EMPTY = "Aucune fiche ne correspond ; décrivez le problème et créez la demande.";
  // The same rules as the service (ticket_service/domain/catalogue.py), so the person learns before sending.
  var EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/, WHOLE = /^[+-]?\d{1,10}$/, DAY = /^\d{4}-\d{2}-\d{2}$/;

  function loadState() {
    var saved = null;
    try { saved = JSON.parse(sessionStorage.getItem(KEY)); } catch (e) { saved = null; }
    if (!saved || !saved.session) saved = { session: G.randomId(), key: G.randomId(), draft: {}, context: null };
    saved.draft.answers = saved.draft.answers || {};
    sessionStorage.setItem("gh-help-session", saved.session);
    return saved;
  }

  /* Lower case without accents: « Écran » is found by « ecran ». */
  function fold(text) {
    return String(text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  /* Split a query at its last word: ["mon ", "impr"]. */
  function lastWord(text) {
    var at = text.search(/\S+$/);
    return at < 0 ? [text, ""] : [text.slice(0, at).replace(/\s+/g, " "), text.slice(at)];
  }

  /* True when `text` only changes the last word of `before` by its end (typing on, or erasing, that same word). */
  function sameWordGoingOn(before, text) {
    var a = lastWord(before), b = lastWord(text);
    return a[0] === b[0] && b[1].length > 0 && (b[1].indexOf(a[1]) === 0 || a[1].indexOf(b[1]) === 0);
  }

  function todayIn(zone) {
    try {
      return new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());
    } catch (e) {
      return new Date().toISOString().slice(0, 10);
    }
  }

  function addDays(day, days) {
    var p = day.split("-").map(Number);
    return new Date(Date.UTC(p[0], p[1] - 1, p[2] + days)).toISOString().slice(0, 10);
  }

  function frenchDate(day) {
    var p = day.split("-");
    return p[2] + "/" + p[1] + "/" + p[0];
  }

  function validDay(value) {
    if (!DAY.test(value)) return false;
    var p = value.split("-").map(Number), d = new Date(Date.UTC(p[0], p[1] - 1, p[2]));
    return d.getUTCFullYear() === p[0] && d.getUTCMonth() === p[1] - 1 && d.getUTCDate() === p[2];
  }

  /* One field's problem in the service's words, or "" (the server checks again: this only saves a round trip). */
  function fieldProblem(f, value, badInput, zone) {
    value = typeof value === "string" ? value.trim() : value;
    if (badInput) return f.type === "number" ? "nombre entier attendu" : "date attendue (AAAA-MM-JJ)";
    if (value === "" || value === null || value === undefined) return f.required ? "champ obligatoire" : "";
    if (f.type === "number") {
      if (!WHOLE.test(value)) return "nombre entier attendu";
      var n = parseInt(value, 10);
      if (f.min !== null && n < f.min) return "au moins " + f.min;
      if (f.max !== null && n > f.max) return "au plus " + f.max;
      return "";
    }
    if (f.type === "choice") return f.options.some(function (o) { return o.id === value; }) ? "" : "choisissez une des options proposées";
    if (f.type === "date") {
      if (!validDay(value)) return "date attendue (AAAA-MM-JJ)";
      if (f.min_days !== null) {
        var earliest = addDays(todayIn(zone), f.min_days);
        if (value < earliest) return "pas avant le " + frenchDate(earliest);
      }
      return "";
    }
    if (f.max_length !== null && value.length > f.max_length) return "au plus " + f.max_length + " caractères";
    if (f.type === "email" && !EMAIL.test(value)) return "adresse e-mail attendue (prenom.nom@exemple.fr)";
    return "";
  }

  function init(root) {
    if (root.dataset.ghWired) return;
    root.dataset.ghWired = "1";
    root.hidden = false;
    var $ = function (id) { return document.getElementById(id); };
    var form = $("gh-form"), title = $("gh-title"), details = $("gh-details"), live = $("gh-live"), type = $("gh-type");
    var category = $("gh-category");
    var debounce = parseInt(root.getAttribute("data-debounce"), 10) || 250;
    var categories = {};
    document.querySelectorAll("#gh-categories li").forEach(function (li) { categories[li.getAttribute("data-id")] = li.textContent.trim(); });
    var state = loadState();
    var shown = [], shownText = "", seq = 0, timer = null, lastSent = null;
    var catalogue = [], zone = "Europe/Paris", proposed = "";

    var params = new URLSearchParams(location.search);
    if (params.get("fiche")) state.context = { id: params.get("fiche").slice(0, 120), title: (params.get("titre") || "").slice(0, 200) };
    if (state.context) {
      var ctx = $("gh-context");
      ctx.textContent = "Vous venez de la fiche : " + (state.context.title || state.context.id) + ". Décrivez ce qui bloque encore.";
      ctx.hidden = false;
      if (!state.draft.details) state.draft.details = "J'ai suivi la fiche « " + state.context.id + " » sans succès : ";
    }
    var linked = params.get("item");  // a link from an article (…?item=acces-dossier) chooses the item
    if (linked !== null) { state.draft.type = "service_request"; state.draft.item = linked.slice(0, 60); }
    title.value = state.draft.title || "";
    details.value = state.draft.details || "";
    if (state.draft.type) type.value = state.draft.type;
    ["urgency", "impact"].forEach(function (name) {
      var radio = state.draft[name] && form.querySelector("input[name=" + name + "][value=" + state.draft[name] + "]");
      if (radio) radio.checked = true;
    });
    fillCategories();

    function save() {
      var item = chosenItem();
      if (item) state.draft.answers[item.id] = readAnswers(item);
      Object.assign(state.draft, { title: title.value, details: details.value, type: type.value,
        urgency: (form.querySelector("input[name=urgency]:checked") || {}).value,
        impact: (form.querySelector("input[name=impact]:checked") || {}).value });
      sessionStorage.setItem(KEY, JSON.stringify(state));
    }
    form.addEventListener("input", save);
    form.addEventListener("change", save);
    title.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { suggest(title.value.trim()); }, debounce);
    });
    type.addEventListener("change", function () { showType(); });
    category.addEventListener("change", function () {
      state.draft.category = category.value;
      state.draft.categoryTouched = true;  // the person's choice: later suggestions no longer change it
      save();
    });

    /* ---- suggestions -------------------------------------------------------------------------------------- */

    function suggest(text) {
      var mine = ++seq;
      if (text.length < MIN_CHARS) { render([], text, false); return; }
      G.api("GET", "/api/v1/suggest?q=" + encodeURIComponent(text)).then(function (r) {
        if (mine !== seq || !root.isConnected) return;  // a newer keystroke won
        if (!r.ok) return;  // too fast (429) or index not ready (503): keep what is shown, count nothing
        var items = r.body && !r.body.abstained ? r.body.suggestions.slice(0, 5) : [];
        // A half-typed word (« mon impr ») is not evidence against the fiches its beginning found (« mon imp »):
        // keep them while the same last word goes on, so a slow typist never sees the list vanish and come back.
        // A list only gives way to an abstention once the query changes beyond that word.
        if (!items.length && shown.length && sameWordGoingOn(shownText, text)) { painted(shown.length, text, true); return; }
        render(items, text, true);
        if (text !== lastSent) {
          lastSent = text;
          G.track(state.session, "suggestions_shown", { query: text.slice(0, 200), abstained: items.length === 0,
            suggestions: items.map(function (s, i) { return { id: s.id, rank: i + 1, score: s.score, category: s.category }; }) });
        }
      }).catch(function () {});
      similarIncident(text, mine);
    }

    function render(items, text, answered) {
      shown = items;
      shownText = text;
      var list = $("gh-suggestions");
      list.textContent = "";
      items.forEach(function (s, i) { list.appendChild(suggestionItem(s, i + 1, "form")); });
      $("gh-suggestions-box").hidden = items.length === 0;
      var abstained = answered && items.length === 0;  // the index had nothing good enough: say so, show no noise
      $("gh-empty").hidden = !abstained;
      live.textContent = items.length ? items.length + (items.length > 1 ? " fiches proposées." : " fiche proposée.")
        : abstained ? EMPTY : "";
      propose(items.length ? items[0].category : "");
      painted(items.length, text, false);
    }

    function painted(count, text, kept) {
      requestAnimationFrame(function () {
        root.dispatchEvent(new CustomEvent("gh:suggestions-painted", { detail: { count: count, text: text, kept: kept } }));
      });
    }

    function snippet(s) {
      var p = el("p", { class: "gh-suggestion__snippet" });
      var chars = Array.from(s.snippet || "");  // offsets count code points, as in Python
      var at = 0;
      (s.highlights || []).forEach(function (span) {
        var start = Math.max(span[0], at), end = Math.min(span[1], chars.length);
        if (start >= end) return;
        p.appendChild(document.createTextNode(chars.slice(at, start).join("")));
        p.appendChild(el("mark", { text: chars.slice(start, end).join("") }));
        at = end;
      });
      p.appendChild(document.createTextNode(chars.slice(at).join("")));
      return p;
    }

    function suggestionItem(s, rank, source) {
      var link = el("a", { class: "gh-suggestion__title", href: s.url || "#", text: s.title });
      link.addEventListener("click", function () {
        save();
        G.track(state.session, "article_opened", { article: s.id, rank: rank, source: source }, true);
      });
      var label = source === "form" ? "Ça a résolu mon problème" : "Finalement c'est résolu";
      var solved = el("button", { type: "button", class: "md-button gh-solved", text: label,
                                  "aria-label": label + " : " + s.title });
      solved.addEventListener("click", function () { (source === "form" ? solvedFromForm : solvedAfterTicket)(s); });
      return el("li", { class: "gh-suggestion" }, [link, " ",
        el("span", { class: "gh-suggestion__cat", text: categories[s.category] || s.category || "" }), snippet(s), solved]);
    }

    function solvedFromForm(s) {
      G.track(state.session, "solved", { article: s.id, source: "form" }, true);
      sessionStorage.removeItem(KEY);  // this visit is over: the next one is a new help session
      var message = $("gh-solved-message");
      message.textContent = "Tant mieux ! La fiche « " + s.title + " » a réglé le problème : aucune demande n'est créée.";
      message.hidden = false;
      form.reset();
      render([], "", false);
      state = loadState();
      showType();
      message.setAttribute("tabindex", "-1");
      message.focus();
    }

    function similarIncident(text, mine) {
      var box = $("gh-incident");
      G.session().then(function (s) {
        if (!s.user) return null;  // published incidents are matched for signed-in people; the banner shows the major ones
        return G.api("POST", "/api/v1/incidents/similar", { text: text.slice(0, 2000) });
      }).then(function (r) {
        if (!r || mine !== seq) return;
        var incident = r.ok && r.body.items.length ? r.body.items[0] : null;
        box.textContent = "";
        box.hidden = !incident;
        if (!incident) return;
        var status = el("span", { role: "status" });
        var login = el("div", { class: "gh-signin", id: "gh-incident-signin", hidden: "" });
        var join = G.joinButton(incident), hint = G.joinHint(incident.text);
        join.addEventListener("click", function () { G.joinIncident(incident.id, join, status, login, "form"); });
        box.appendChild(el("h2", { id: "gh-incident-title", class: "gh-h2", text: "Un incident est déjà en cours : " + incident.title }));
        box.appendChild(el("p", { text: incident.text }));
        if (hint) box.appendChild(el("p", { class: "gh-incident__hint", text: hint }));
        box.appendChild(el("p", {}, [join, " ", status]));
        box.appendChild(login);
      }).catch(function () {});
    }

    /* ---- the proposed category (incidents) ---------------------------------------------------------------- */

    function fillCategories() {
      var current = state.draft.categoryTouched ? state.draft.category || "" : category.value;
      while (category.options.length > 1) category.remove(1);
      Object.keys(categories).forEach(function (id) { category.appendChild(el("option", { value: id, text: categories[id] })); });
      category.value = current;
    }

    /* The best suggestion's category, unless the person chose one; none (triage) when nothing was suggested. */
    function propose(cat) {
      proposed = cat && categories[cat] ? cat : "";
      if (!state.draft.categoryTouched) category.value = proposed;
      showType();
    }

    /* ---- the catalogue ("J'ai besoin de quelque chose") --------------------------------------------------- */

    var search = $("gh-catalogue-search"), list = $("gh-catalogue"), count = $("gh-catalogue-count");

    G.api("GET", "/api/v1/policies").then(function (r) {
      if (!r.ok || !r.body) return;
      zone = r.body.timezone || zone;
      catalogue = r.body.catalogue || [];
      if (r.body.categories) { categories = r.body.categories; fillCategories(); }
      buildCatalogue();
    }).catch(function () {});

    function chosenItem() {
      var id = state.draft.item;
      return catalogue.filter(function (i) { return i.id === id; })[0] || null;
    }

    function buildCatalogue() {
      list.querySelectorAll("label").forEach(function (node) { node.remove(); });
      catalogue.concat([{ id: "", label: "Autre demande", description: "Ce que vous cherchez n'est pas dans la liste : décrivez-le ci-dessus." }])
        .forEach(function (item) {
          var radio = el("input", { type: "radio", name: "gh-item", value: item.id });
          radio.addEventListener("change", function () { choose(item.id); });
          var parts = [radio, " ", el("span", { class: "gh-catalogue__label", text: item.label })];
          if (item.category) parts.push(" ", el("span", { class: "gh-suggestion__cat", text: categories[item.category] || item.category }));
          if (item.type === "access_request") parts.push(" ", el("span", { class: "gh-catalogue__badge", text: "avec validation" }));
          parts.push(el("span", { class: "gh-catalogue__desc", text: item.description }));
          var label = el("label", { class: "gh-catalogue__item", "data-item": item.id,
                                    "data-text": fold(item.label + " " + item.description + " " + (categories[item.category] || "")) }, parts);
          list.appendChild(label);
        });
      var wanted = state.draft.item;
      var unknown = $("gh-item-unknown");
      if (wanted && !chosenItem()) {
        unknown.textContent = "La demande « " + wanted + " » n'existe pas dans le catalogue : choisissez-en une ci-dessous.";
        unknown.hidden = false;
        state.draft.item = null;
      }
      choose(state.draft.item || null, true);
      filter();
      showType();
    }

    function filter() {
      var words = fold(search.value).split(/\s+/).filter(Boolean);
      var visible = 0;
      list.querySelectorAll(".gh-catalogue__item").forEach(function (label) {
        var id = label.getAttribute("data-item"), text = label.getAttribute("data-text");
        var match = id === "" || id === state.draft.item || words.every(function (w) {
          return text.indexOf(w) >= 0 || (w.length > 3 && /s$/.test(w) && text.indexOf(w.slice(0, -1)) >= 0);
        });
        label.hidden = !match;
        if (match && id !== "") visible += 1;
      });
      count.textContent = !words.length ? catalogue.length + " demandes au catalogue."
        : visible ? visible + (visible > 1 ? " demandes correspondent." : " demande correspond.")
        : "Aucune demande ne correspond : choisissez « Autre demande » et décrivez-la.";
    }
    search.addEventListener("input", filter);
    search.addEventListener("keydown", function (e) {  // Enter picks the first match instead of sending the form
      if (e.key !== "Enter") return;
      e.preventDefault();
      var first = list.querySelector(".gh-catalogue__item:not([hidden]) input");
      if (first) { first.checked = true; choose(first.value); first.focus(); }
    });

    function choose(id, quiet) {
      var before = chosenItem();
      if (before) state.draft.answers[before.id] = readAnswers(before);
      state.draft.item = id === "" ? "" : id;
      var radio = list.querySelector("input[value='" + (id || "") + "']");
      if (radio && id !== null) radio.checked = true;
      renderItem(chosenItem());
      showType();
      if (!quiet) save();
    }

    function renderItem(item) {
      var box = $("gh-item"), fields = $("gh-item-fields"), approval = $("gh-item-approval");
      fields.textContent = "";
      box.hidden = !item;
      if (!item) return;
      $("gh-item-title").textContent = item.label;
      approval.hidden = item.type !== "access_request";
      approval.textContent = "Demande d'accès : elle est d'abord validée par " + item.quorum + " valideur"
        + (item.quorum > 1 ? "s désignés" : " désigné") + ", puis traitée par le support.";
      var saved = state.draft.answers[item.id] || {};
      item.fields.forEach(function (f) {
        var id = "gh-if-" + f.id, input;
        if (f.type === "choice") {
          input = el("select", { id: id }, [el("option", { value: "", text: "— Choisissez —" })]);
          f.options.forEach(function (o) { input.appendChild(el("option", { value: o.id, text: o.label })); });
        } else if (f.type === "textarea") {
          input = el("textarea", { id: id, rows: "3", maxlength: f.max_length });
        } else {
          input = el("input", { id: id, type: { number: "number", date: "date", email: "email" }[f.type] || "text",
            maxlength: f.max_length, min: f.type === "date" && f.min_days !== null ? addDays(todayIn(zone), f.min_days) : f.min,
            max: f.max, step: f.type === "number" ? "1" : null, autocomplete: "off" });
        }
        input.setAttribute("data-field", f.id);
        input.setAttribute("aria-describedby", (f.help ? id + "-help " : "") + id + "-error");
        if (f.required) input.setAttribute("aria-required", "true");
        if (saved[f.id] !== undefined && saved[f.id] !== null) input.value = String(saved[f.id]);
        // Problems are shown when the form is sent, then followed as the person corrects them: shown on blur, a
        // message would push the button down under the pointer between mousedown and click.
        ["input", "change"].forEach(function (name) {
          input.addEventListener(name, function () { if (input.getAttribute("aria-invalid")) checkField(f, input); });
        });
        var label = el("label", { for: id }, [f.label, f.required ? el("span", { class: "gh-hint", text: " (obligatoire)" }) : ""]);
        var parts = [label, input];
        if (f.help) parts.push(el("small", { id: id + "-help", class: "gh-hint", text: f.help }));
        parts.push(el("p", { id: id + "-error", class: "gh-field-error", hidden: "" }));
        fields.appendChild(el("div", { class: "gh-field", "data-item-field": f.id }, parts));
      });
    }

    function readAnswers(item) {
      var answers = {};
      item.fields.forEach(function (f) {
        var input = $("gh-if-" + f.id);
        if (input && input.value.trim() !== "") answers[f.id] = input.value.trim();
      });
      return answers;
    }

    function showFieldError(fieldId, message) {
      var input = $("gh-if-" + fieldId), error = $("gh-if-" + fieldId + "-error");
      if (!input || !error) return false;
      error.textContent = message;
      error.hidden = !message;
      if (message) input.setAttribute("aria-invalid", "true"); else input.removeAttribute("aria-invalid");
      return true;
    }

    function checkField(f, input) {
      var problem = fieldProblem(f, input.value, input.validity && input.validity.badInput, zone);
      showFieldError(f.id, problem);
      return problem;
    }

    /* Check every field of the chosen item; focus the first one at fault. */
    function checkItem(item) {
      var first = null;
      item.fields.forEach(function (f) {
        var input = $("gh-if-" + f.id);
        if (input && checkField(f, input) && !first) first = input;
      });
      if (first) first.focus();
      return !first;
    }

    function showType() {
      var service = type.value === "service_request", item = service ? chosenItem() : null;
      $("gh-catalogue-box").hidden = !service || !catalogue.length;
      $("gh-category-box").hidden = service || (!category.value && !state.draft.categoryTouched);
      // An item that fixes its priority (helpdesk.yml sla.priority) makes urgency and impact decide nothing.
      var fixed = !!(item && item.priority);
      $("gh-urgency").hidden = fixed;
      $("gh-impact").hidden = fixed;
    }

    /* ---- sending ------------------------------------------------------------------------------------------- */

    if (title.value.trim().length >= MIN_CHARS) suggest(title.value.trim());  // back from an article: same draft, same help
    showType();

    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var error = $("gh-error");
      error.hidden = true;
      var item = type.value === "service_request" ? chosenItem() : null;
      if (item && title.value.trim().length < MIN_CHARS) title.value = item.label;  // the item says what is asked
      if (title.value.trim().length < MIN_CHARS) {
        error.textContent = "Décrivez le problème en une ligne (au moins 3 caractères).";
        error.hidden = false;
        title.focus();
        return;
      }
      if (item && !checkItem(item)) {
        error.textContent = "Complétez les champs signalés de la demande « " + item.label + " ».";
        error.hidden = false;
        return;
      }
      G.session().then(function (s) {
        if (s.user) return create();
        G.signIn($("gh-signin"), "Connectez-vous pour envoyer la demande (votre brouillon est conservé) :", create);
      });
    });

    function create() {
      save();
      var button = $("gh-submit"), error = $("gh-error");
      var item = type.value === "service_request" ? chosenItem() : null;
      var description = (details.value.trim() || title.value.trim()) + (state.context ? "\n\nFiche consultée : " + state.context.id : "");
      var body = { title: title.value.trim().slice(0, 200), description: description.slice(0, 10000), type: type.value,
                   urgency: state.draft.urgency || "medium", impact: state.draft.impact || "low", help_session_id: state.session };
      if (item) {
        var answers = readAnswers(item);
        item.fields.forEach(function (f) { if (f.type === "number" && f.id in answers) answers[f.id] = parseInt(answers[f.id], 10); });
        Object.assign(body, { type: item.type, catalogue_item: item.id, item_fields: answers });
      } else if (type.value === "incident" && category.value) {
        body.category = category.value;
      }
      button.disabled = true;
      live.textContent = "Envoi de la demande…";
      G.api("POST", "/api/v1/tickets", body, { "Idempotency-Key": state.key }).then(function (r) {
        button.disabled = false;
        if (!r.ok) { refused(r, item); return; }
        var ticket = r.body;
        G.track(state.session, "ticket_created", { ticket: ticket.id }, true);
        var file = $("gh-file").files[0];
        var upload = Promise.resolve();
        if (file) {
          var data = new FormData();
          data.append("file", file);
          upload = G.api("POST", "/api/v1/tickets/" + ticket.id + "/attachments", data);
        }
        var uploadProblem = "";
        upload.then(function (sent) {
          if (sent && !sent.ok) uploadProblem = " La pièce jointe n'a pas été ajoutée : " + G.errorText(sent);
          return G.api("GET", "/api/v1/tickets/" + ticket.id + "/expected-response");
        }).then(function (sla) { done(ticket, sla.ok ? sla.body : null, uploadProblem, item); });
      });
    }

    /* The service's refusal: each item field at fault beside its field, the rest in the message. */
    function refused(r, item) {
      var error = $("gh-error"), fields = (r.body && r.body.error && r.body.error.fields) || {}, first = null, rest = {};
      Object.keys(fields).forEach(function (key) {
        var id = key.indexOf("item_fields.") === 0 ? key.slice(12) : null;
        if (item && id && showFieldError(id, fields[key])) { first = first || $("gh-if-" + id); } else rest[key] = fields[key];
      });
      var shownBody = r.body && r.body.error ? { error: Object.assign({}, r.body.error, { fields: rest }) } : r.body;
      error.textContent = G.errorText({ body: shownBody });
      error.hidden = false;
      live.textContent = "";
      if (first) first.focus();
    }

    function done(ticket, sla, uploadProblem, item) {
      sessionStorage.removeItem(KEY);
      form.hidden = true;
      var panel = $("gh-done");
      $("gh-done-title").textContent = "Demande n° " + ticket.id + " créée";
      var text = "Un technicien vous répond dès que possible.";
      if (sla && sla.first_response_due) {
        var due = new Date(sla.first_response_due).toLocaleString("fr-FR", { weekday: "long", day: "numeric", month: "long",
          hour: "2-digit", minute: "2-digit", timeZone: zone });
        text = "Un technicien vous répond au plus tard " + due + " (priorité " + sla.priority + " : première réponse sous "
          + String(sla.business_hours.first_response).replace(".", ",") + " h ouvrées).";
      }
      if (ticket.status === "awaiting_approval" && item) {
        text = "Elle attend d'abord la validation de " + item.quorum + " valideur" + (item.quorum > 1 ? "s désignés" : " désigné")
          + " ; vous serez prévenu de la décision. " + text;
      }
      text += uploadProblem || "";
      $("gh-done-sla").textContent = text;
      $("gh-done-link").setAttribute("href", "/mes-demandes/" + ticket.id);
      var list = $("gh-after-list");
      list.textContent = "";
      shown.slice(0, 3).forEach(function (s, i) { list.appendChild(suggestionItem(s, i + 1, "after_ticket")); });
      $("gh-after").hidden = shown.length === 0;
      panel.dataset.ticket = ticket.id;
      panel.dataset.status = ticket.status;
      panel.hidden = false;
      live.textContent = "Demande n° " + ticket.id + " créée. " + text;
      panel.focus();
    }

    function solvedAfterTicket(s) {
      var panel = $("gh-done"), message = $("gh-after-message"), id = panel.dataset.ticket;
      G.api("POST", "/api/v1/tickets/" + id + "/self-resolution", { article_id: s.id }).then(function (r) {
        message.hidden = false;
        if (!r.ok) { message.textContent = G.errorText(r); return; }
        G.track(state.session, "solved", { article: s.id, source: "after_ticket" }, true);
        $("gh-after").hidden = true;
        message.textContent = "Demande n° " + id + " close : tant mieux, la fiche « " + s.title + " » a réglé le problème.";
      });
    }
  }

  document$.subscribe(function () {
    var root = document.getElementById("gh-help");
    if (root) init(root);
  });
})();

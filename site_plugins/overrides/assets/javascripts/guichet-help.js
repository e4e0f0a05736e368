/* « Demander de l'aide »: suggestions while typing, « Ça a résolu mon problème », the draft kept while reading an
   article, sign-in when needed, then the ticket, its expected response time and « Finalement c'est résolu ». */
(function () {
  "use strict";
  var G = window.Guichet;
  var el = G.el;
  var KEY = "gh-help-state";
  var MIN_CHARS = 3;

  function loadState() {
    var saved = null;
    try { saved = JSON.parse(sessionStorage.getItem(KEY)); } catch (e) { saved = null; }
    if (!saved || !saved.session) saved = { session: G.randomId(), key: G.randomId(), draft: {}, context: null };
    sessionStorage.setItem("gh-help-session", saved.session);
    return saved;
  }

  function init(root) {
    if (root.dataset.ghWired) return;
    root.dataset.ghWired = "1";
    root.hidden = false;
    var $ = function (id) { return document.getElementById(id); };
    var form = $("gh-form"), title = $("gh-title"), details = $("gh-details"), live = $("gh-live");
    var debounce = parseInt(root.getAttribute("data-debounce"), 10) || 250;
    var categories = {};
    document.querySelectorAll("#gh-categories li").forEach(function (li) { categories[li.getAttribute("data-id")] = li.textContent.trim(); });
    var state = loadState();
    var shown = [], seq = 0, timer = null, lastSent = null;

    var params = new URLSearchParams(location.search);
    if (params.get("fiche")) state.context = { id: params.get("fiche").slice(0, 120), title: (params.get("titre") || "").slice(0, 200) };
    if (state.context) {
      var ctx = $("gh-context");
      ctx.textContent = "Vous venez de la fiche : " + (state.context.title || state.context.id) + ". Décrivez ce qui bloque encore.";
      ctx.hidden = false;
      if (!state.draft.details) state.draft.details = "J'ai suivi la fiche « " + state.context.id + " » sans succès : ";
    }
    title.value = state.draft.title || "";
    details.value = state.draft.details || "";
    if (state.draft.type) $("gh-type").value = state.draft.type;
    ["urgency", "impact"].forEach(function (name) {
      var radio = state.draft[name] && form.querySelector("input[name=" + name + "][value=" + state.draft[name] + "]");
      if (radio) radio.checked = true;
    });

    function save() {
      state.draft = { title: title.value, details: details.value, type: $("gh-type").value,
                      urgency: (form.querySelector("input[name=urgency]:checked") || {}).value,
                      impact: (form.querySelector("input[name=impact]:checked") || {}).value };
      sessionStorage.setItem(KEY, JSON.stringify(state));
    }
    form.addEventListener("input", save);
    form.addEventListener("change", save);
    title.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { suggest(title.value.trim()); }, debounce);
    });

    function suggest(text) {
      var mine = ++seq;
      if (text.length < MIN_CHARS) { render([], text); return; }
      G.api("GET", "/api/v1/suggest?q=" + encodeURIComponent(text)).then(function (r) {
        if (mine !== seq || !root.isConnected) return;  // a newer keystroke won
        if (!r.ok) return;  // too fast (429) or index not ready (503): keep what is shown, count nothing
        var items = r.body && !r.body.abstained ? r.body.suggestions.slice(0, 5) : [];
        render(items, text);
        if (text !== lastSent) {
          lastSent = text;
          G.track(state.session, "suggestions_shown", { query: text.slice(0, 200), abstained: items.length === 0,
            suggestions: items.map(function (s, i) { return { id: s.id, rank: i + 1, score: s.score, category: s.category }; }) });
        }
      }).catch(function () {});
      similarIncident(text, mine);
    }

    function render(items, text) {
      shown = items;
      var list = $("gh-suggestions");
      list.textContent = "";
      items.forEach(function (s, i) { list.appendChild(suggestionItem(s, i + 1, "form")); });
      $("gh-suggestions-box").hidden = items.length === 0;  // abstention: nothing, not noise
      live.textContent = items.length ? items.length + (items.length > 1 ? " fiches proposées." : " fiche proposée.") : "";
      requestAnimationFrame(function () { root.dispatchEvent(new CustomEvent("gh:suggestions-painted", { detail: { count: items.length, text: text } })); });
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
      render([], "");
      state = loadState();
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
        var join = el("button", { type: "button", class: "md-button", text: "Je suis aussi concerné" });
        join.addEventListener("click", function () { G.joinIncident(incident.id, join, status, login, "form"); });
        box.appendChild(el("h2", { id: "gh-incident-title", class: "gh-h2", text: "Un incident est déjà en cours : " + incident.title }));
        box.appendChild(el("p", { text: incident.text }));
        box.appendChild(el("p", {}, [join, " ", status]));
        box.appendChild(login);
      }).catch(function () {});
    }

    if (title.value.trim().length >= MIN_CHARS) suggest(title.value.trim());  // back from an article: same draft, same help

    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var error = $("gh-error");
      error.hidden = true;
      if (title.value.trim().length < MIN_CHARS) {
        error.textContent = "Décrivez le problème en une ligne (au moins 3 caractères).";
        error.hidden = false;
        title.focus();
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
      var description = (details.value.trim() || title.value.trim()) + (state.context ? "\n\nFiche consultée : " + state.context.id : "");
      var body = { title: title.value.trim().slice(0, 200), description: description.slice(0, 10000), type: $("gh-type").value,
                   urgency: state.draft.urgency || "medium", impact: state.draft.impact || "low", help_session_id: state.session };
      button.disabled = true;
      live.textContent = "Envoi de la demande…";
      G.api("POST", "/api/v1/tickets", body, { "Idempotency-Key": state.key }).then(function (r) {
        button.disabled = false;
        if (!r.ok) { error.textContent = G.errorText(r); error.hidden = false; live.textContent = ""; return; }
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
        }).then(function (sla) { done(ticket, sla.ok ? sla.body : null, uploadProblem); });
      });
    }

    function done(ticket, sla, uploadProblem) {
      sessionStorage.removeItem(KEY);
      form.hidden = true;
      var panel = $("gh-done");
      $("gh-done-title").textContent = "Demande n° " + ticket.id + " créée";
      var text = "Un technicien vous répond dès que possible.";
      if (sla && sla.first_response_due) {
        var due = new Date(sla.first_response_due).toLocaleString("fr-FR", { weekday: "long", day: "numeric", month: "long",
          hour: "2-digit", minute: "2-digit", timeZone: "Europe/Paris" });
        text = "Un technicien vous répond au plus tard " + due + " (priorité " + sla.priority + " : première réponse sous "
          + String(sla.business_hours.first_response).replace(".", ",") + " h ouvrées).";
      }
      text += uploadProblem || "";
      $("gh-done-sla").textContent = text;
      $("gh-done-link").setAttribute("href", "/mes-demandes/" + ticket.id);
      var list = $("gh-after-list");
      list.textContent = "";
      shown.slice(0, 3).forEach(function (s, i) { list.appendChild(suggestionItem(s, i + 1, "after_ticket")); });
      $("gh-after").hidden = shown.length === 0;
      panel.dataset.ticket = ticket.id;
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

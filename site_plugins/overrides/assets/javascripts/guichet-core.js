/* Guichet core: same-origin JSON API calls with the CSRF token, batched events, DOM helpers, inline sign-in.
   Texts from the API are only ever set with textContent, never parsed as HTML. */
(function () {
  "use strict";
  var state = { session: null, queue: [], timer: null };

  function randomId() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  /* Build an element: el("p", {class: "x"}, ["text", child]) — strings become text nodes. */
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") node.textContent = attrs[name];
      else if (attrs[name] !== null && attrs[name] !== undefined) node.setAttribute(name, attrs[name]);
    });
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function session(refresh) {
    if (!state.session || refresh) {
      state.session = fetch("/api/v1/session", { credentials: "same-origin" })
        .then(function (r) { if (!r.ok) throw new Error("session"); return r.json(); })
        .catch(function (e) { state.session = null; throw e; });
    }
    return state.session;
  }

  /* JSON call; resolves {ok, status, body}; writes carry X-CSRFToken. */
  function api(method, path, body, headers) {
    var send = function (csrf) {
      var h = Object.assign({ "Accept": "application/json" }, headers || {});
      var options = { method: method, credentials: "same-origin", headers: h, keepalive: method !== "GET" && !(body instanceof FormData) };
      if (method !== "GET") h["X-CSRFToken"] = csrf;
      if (body instanceof FormData) options.body = body;
      else if (body !== undefined) { h["Content-Type"] = "application/json"; options.body = JSON.stringify(body); }
      return fetch(path, options).then(function (r) {
        return r.text().then(function (t) {
          var parsed = null;
          try { parsed = t ? JSON.parse(t) : null; } catch (e) { parsed = null; }
          return { ok: r.ok, status: r.status, body: parsed };
        });
      });
    };
    if (method === "GET") return send(null);
    return session().then(function (s) { return send(s.csrf_token); });
  }

  function errorText(result) {
    var e = result && result.body && result.body.error;
    if (!e) return "Le service ne répond pas : réessayez dans un instant.";
    var fields = Object.keys(e.fields || {}).map(function (k) { return e.fields[k]; });
    return e.message + (fields.length ? " (" + fields.join(" ; ") + ")" : "");
  }

  /* Events are batched per help session and sent within a second (at once for the ones that matter). */
  function track(sessionId, type, fields, urgent) {
    state.queue.push({ session: sessionId, event: Object.assign({ id: randomId(), type: type, at: Date.now() }, fields) });
    clearTimeout(state.timer);
    if (urgent) return flush();
    state.timer = setTimeout(flush, 800);
    return Promise.resolve();
  }

  function flush() {
    var pending = state.queue.splice(0);
    var bySession = {};
    pending.forEach(function (p) { (bySession[p.session] = bySession[p.session] || []).push(p.event); });
    var posts = [];
    Object.keys(bySession).forEach(function (sid) {
      for (var i = 0; i < bySession[sid].length; i += 50) {  // the API takes 50 events per batch
        posts.push(api("POST", "/api/v1/events", { session: sid, events: bySession[sid].slice(i, i + 50) }).catch(function () {}));
      }
    });
    return Promise.all(posts);
  }
  document.addEventListener("visibilitychange", function () { if (document.visibilityState === "hidden") flush(); });

  /* An inline sign-in (e-mail + password through POST /api/v1/session); calls done(user) once signed in. */
  function signIn(container, intro, done) {
    container.textContent = "";
    var email = el("input", { type: "email", id: container.id + "-email", autocomplete: "username", required: "" });
    var password = el("input", { type: "password", id: container.id + "-password", autocomplete: "current-password", required: "" });
    var error = el("p", { class: "gh-error", role: "alert", hidden: "" });
    var button = el("button", { type: "button", class: "md-button md-button--primary", text: "Se connecter" });
    var go = function () {
      error.hidden = true;
      button.disabled = true;
      api("POST", "/api/v1/session", { email: email.value, password: password.value }).then(function (r) {
        button.disabled = false;
        if (!r.ok) { error.textContent = errorText(r); error.hidden = false; password.focus(); return; }
        state.session = Promise.resolve(r.body);  // a new session: the new CSRF token
        container.hidden = true;
        done(r.body.user);
      });
    };
    button.addEventListener("click", go);
    [email, password].forEach(function (input) {
      input.addEventListener("keydown", function (e) { if (e.key === "Enter") { e.preventDefault(); go(); } });
    });
    container.appendChild(el("p", { class: "gh-signin__intro", text: intro }));
    container.appendChild(el("div", { class: "gh-field" }, [el("label", { for: email.id, text: "Adresse e-mail professionnelle" }), email]));
    container.appendChild(el("div", { class: "gh-field" }, [el("label", { for: password.id, text: "Mot de passe" }), password]));
    container.appendChild(error);
    container.appendChild(button);
    container.hidden = false;
    email.focus();
  }

  function visitId() {
    var id = sessionStorage.getItem("gh-visit");
    if (!id) { id = randomId(); sessionStorage.setItem("gh-visit", id); }
    return id;
  }

  /* Material's feedback widget (« Cette fiche vous a-t-elle aidé ? ») → page_feedback, optional reason on "no". */
  function wireFeedback(form) {
    var tools = document.querySelector("[data-gh-article]");
    if (!form || !tools || form.dataset.ghWired) return;
    form.dataset.ghWired = "1";
    var article = tools.getAttribute("data-gh-article");
    form.querySelectorAll("[type=submit]").forEach(function (button) {
      button.addEventListener("click", function (e) {
        e.preventDefault();
        var helpful = button.getAttribute("data-md-value") === "1";
        form.firstElementChild.disabled = true;
        var note = form.querySelector(".md-feedback__note [data-md-value='" + button.getAttribute("data-md-value") + "']");
        if (note) note.hidden = false;
        if (helpful) { track(visitId(), "page_feedback", { article: article, helpful: true }, true); return; }
        var reason = el("textarea", { id: "gh-feedback-reason", rows: "3", maxlength: "500" });
        var send = el("button", { type: "button", class: "md-button", text: "Envoyer" });
        var box = el("div", { class: "gh-feedback-reason" }, [
          el("label", { for: reason.id, text: "Qu'est-ce qui manquait ? (facultatif)" }), reason, send]);
        var sent = false;
        var post = function () {
          if (sent) return;
          sent = true;
          track(visitId(), "page_feedback", { article: article, helpful: false, reason: reason.value.trim() || null }, true);
          box.textContent = "";
          box.appendChild(el("p", { role: "status", text: "Merci, votre avis est transmis à l'équipe support." }));
        };
        send.addEventListener("click", post);
        form.appendChild(box);
        reason.focus();
        window.addEventListener("pagehide", post, { once: true });
      });
    });
    form.hidden = false;
  }

  window.Guichet = { el: el, api: api, session: session, track: track, flush: flush, randomId: randomId,
                     errorText: errorText, signIn: signIn, visitId: visitId, wireFeedback: wireFeedback };
})();

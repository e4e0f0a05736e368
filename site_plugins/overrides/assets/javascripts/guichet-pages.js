/* Every page: the known-issue banner (major incidents, « Moi aussi »), article stats and page views. */
(function () {
  "use strict";
  var G = window.Guichet;
  var el = G.el;

  var COLLAPSED = "gh-banner-collapsed";  // the visitor's choice, kept for the browser session
  var PHONE = "(max-width: 44.984375em)";  // Material's phone/tablet break point

  function showBanner() {
    var banner = document.getElementById("gh-banner");
    if (!banner) return;
    G.api("GET", "/api/v1/incidents/major").then(function (r) {
      var items = r.ok && r.body ? r.body.items.filter(function (i) { return i.major; }).slice(0, 3) : [];
      var zone = banner.getAttribute("data-gh-timezone") || "Europe/Paris";
      banner.textContent = "";
      banner.hidden = items.length === 0;
      if (!items.length) return;
      var details = el("div", { class: "gh-banner__items", id: "gh-banner-items" });
      items.forEach(function (incident) { details.appendChild(bannerItem(incident, zone)); });
      var summary = el("p", { class: "gh-banner__summary" }, [
        el("strong", { text: items.length > 1 ? items.length + " incidents en cours : " : "Incident en cours : " }),
        items.map(function (i) { return i.title; }).join(" ; ")]);
      var toggle = el("button", { type: "button", class: "gh-banner__toggle", "aria-controls": details.id });
      toggle.addEventListener("click", function () {
        var collapse = toggle.getAttribute("aria-expanded") === "true";
        sessionStorage.setItem(COLLAPSED, collapse ? "1" : "0");
        collapseBanner(banner, toggle, details, collapse);
      });
      banner.appendChild(el("div", { class: "gh-banner__bar" }, [summary, toggle]));
      banner.appendChild(details);
      var saved = sessionStorage.getItem(COLLAPSED);
      collapseBanner(banner, toggle, details, saved === null ? window.matchMedia(PHONE).matches : saved === "1");
    }).catch(function () {});
  }

  /* Collapsed: one line with the incidents' titles; the text and « Moi aussi » one tap away. */
  function collapseBanner(banner, toggle, details, collapsed) {
    banner.classList.toggle("gh-banner--collapsed", collapsed);
    details.hidden = collapsed;
    toggle.setAttribute("aria-expanded", String(!collapsed));
    toggle.textContent = collapsed ? "Détails" : "Réduire";
  }

  /* « depuis 08 h 50 » today; « depuis le jeudi 27 novembre à 18 h 05 » (and the year when not this one) before. */
  function sinceText(iso, zone, now) {
    var since = new Date(iso);
    var day = function (date) {
      var parts = {};
      var format = { timeZone: zone, weekday: "long", day: "numeric", month: "long", year: "numeric" };
      new Intl.DateTimeFormat("fr-FR", format).formatToParts(date).forEach(function (p) { parts[p.type] = p.value; });
      return parts;
    };
    var hour = since.toLocaleTimeString("fr-FR", { hour: "2-digit", minute: "2-digit", timeZone: zone })
      .replace(":", " h ");
    var then = day(since), today = day(now || new Date());
    if (then.day === today.day && then.month === today.month && then.year === today.year) return "depuis " + hour;
    var date = then.weekday + " " + (then.day === "1" ? "1er" : then.day) + " " + then.month
      + (then.year === today.year ? "" : " " + then.year);
    return "depuis le " + date + " à " + hour;
  }

  /* What to click, in the button's own words, unless the technician's text already says it. */
  function joinHint(text) {
    return /inutile/i.test(text || "") ? ""
      : "Inutile d'ouvrir une demande : cliquez sur « Moi aussi » pour être prévenu de la résolution.";
  }

  /* « Moi aussi », as incident texts ask, named with the incident for screen readers. */
  function joinButton(incident) {
    return el("button", { type: "button", class: "md-button gh-join", text: "Moi aussi",
                          "aria-label": "Moi aussi, je suis concerné : " + incident.title });
  }

  function bannerItem(incident, zone) {
    var status = el("span", { class: "gh-banner__status", role: "status" });
    var button = joinButton(incident);
    button.classList.add("gh-banner__join");
    var login = el("div", { class: "gh-signin gh-banner__signin", id: "gh-banner-signin-" + incident.id, hidden: "" });
    var hint = joinHint(incident.text);
    var item = el("div", { class: "gh-banner__item" }, [
      el("strong", { class: "gh-banner__title", text: incident.title }), " — ",
      el("span", { class: "gh-banner__since", text: sinceText(incident.since, zone) }), " — ",
      el("span", { class: "gh-banner__text", text: incident.text }), " ",
      el("span", { class: "gh-banner__hint", text: hint }),
      " ", button, " ", status, login]);
    button.addEventListener("click", function () { joinIncident(incident.id, button, status, login, "banner"); });
    return item;
  }

  /* Attach the signed-in person to a published incident (sign in inline first when needed). */
  function joinIncident(id, button, status, login, source) {
    G.session().then(function (s) {
      if (!s.user) {
        G.signIn(login, "Connectez-vous pour être rattaché à l'incident :", function () {
          joinIncident(id, button, status, login, source);
        });
        return;
      }
      button.disabled = true;
      G.api("POST", "/api/v1/incidents/" + encodeURIComponent(id) + "/join").then(function (r) {
        if (!r.ok) { button.disabled = false; status.textContent = G.errorText(r); return; }
        status.textContent = "C'est noté : vous êtes rattaché à l'incident et serez prévenu de sa résolution.";
        button.hidden = true;
        var helpSession = sessionStorage.getItem("gh-help-session") || G.visitId();
        G.track(helpSession, "banner_joined", { incident: id }, true);
      });
    });
  }

  function articleTools() {
    var tools = document.querySelector("[data-gh-article]");
    if (!tools) return;
    var article = tools.getAttribute("data-gh-article");
    G.track(G.visitId(), "page_view", { article: article });
    G.api("GET", "/api/v1/articles/" + encodeURIComponent(article) + "/stats").then(function (r) {
      var count = r.ok && r.body ? r.body.resolved_count : 0;
      var line = tools.querySelector(".gh-resolved");
      if (count > 0 && line) {
        line.textContent = "Cette fiche a résolu " + count + (count > 1 ? " demandes." : " demande.");
        line.hidden = false;
      }
    }).catch(function () {});
  }

  G.joinIncident = joinIncident;
  G.joinButton = joinButton;
  G.joinHint = joinHint;
  document$.subscribe(function () { showBanner(); articleTools(); });
})();

/* Every page: the known-issue banner (major incidents, « Je suis concerné »), article stats and page views. */
(function () {
  "use strict";
  var G = window.Guichet;
  var el = G.el;

  function showBanner() {
    var banner = document.getElementById("gh-banner");
    if (!banner) return;
    G.api("GET", "/api/v1/incidents/major").then(function (r) {
      var items = r.ok && r.body ? r.body.items.filter(function (i) { return i.major; }) : [];
      banner.textContent = "";
      banner.hidden = items.length === 0;
      items.slice(0, 3).forEach(function (incident) { banner.appendChild(bannerItem(incident)); });
    }).catch(function () {});
  }

  function bannerItem(incident) {
    var since = new Date(incident.since);
    var hour = since.toLocaleTimeString("fr-FR", { hour: "2-digit", minute: "2-digit", timeZone: "Europe/Paris" }).replace(":", " h ");
    var status = el("span", { class: "gh-banner__status", role: "status" });
    var button = el("button", { type: "button", class: "md-button gh-banner__join", text: "Je suis concerné" });
    var login = el("div", { class: "gh-signin gh-banner__signin", id: "gh-banner-signin-" + incident.id, hidden: "" });
    var item = el("div", { class: "gh-banner__item" }, [
      el("strong", { class: "gh-banner__title", text: incident.title }), " — depuis " + hour + " — ",
      el("span", { class: "gh-banner__text", text: incident.text }), " ",
      el("span", { class: "gh-banner__hint", text: /inutile/i.test(incident.text || "") ? "" : "Inutile d'ouvrir une demande." }),
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
  document$.subscribe(function () { showBanner(); articleTools(); });
})();

/*
 * wadesk groups page (issue 10): while a row's send-test is sending,
 * poll /accounts/{id}/groups/send.json?jid=... for that row alone
 * every second and update its state text in place, so a send on
 * another row never moves this one.  Without JavaScript the page
 * refreshes itself through a <noscript> meta refresh while a row is
 * sending (cgi/page_groups.c).
 */
(function () {
  "use strict";
  var root = document.getElementById("groups");
  if (!root) return;
  var id = root.getAttribute("data-id");

  function watch(row) {
    var jid = row.getAttribute("data-jid");
    var out = row.querySelector(".send-state");
    function poll() {
      fetch("/accounts/" + id + "/groups/send.json?jid=" + encodeURIComponent(jid),
          { credentials: "same-origin", cache: "no-store" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (s) {
          if (!s) return;
          row.setAttribute("data-state", s.state);
          if (out) out.textContent = s.message || "";
          if (s.state === "sending") setTimeout(poll, 1000);
        })
        .catch(function () { setTimeout(poll, 3000); });
    }
    setTimeout(poll, 1000);
  }

  var rows = root.querySelectorAll("tr.group[data-state=sending]");
  for (var i = 0; i < rows.length; i++) watch(rows[i]);
})();

/*
 * wadesk: progressive enhancement.  On every page, keep the relative
 * times ("3 min ago", rendered by the server beside each UTC time)
 * current, with the same words as lib/reltime.c.  On the account page,
 * poll status.json every 2 s: swap
 * the QR image when qr_version changes (no full reload), keep the
 * countdown bar moving, and reload the page when the status, the
 * pairing code or the presence of a QR changes (so a pairing that
 * ended shows its "Pairing ended" notice).  While a send-test is
 * sending (a row of the groups page, or the account page's test to a
 * phone number), poll its state alone and update it in place (issue
 * 10).  Without JavaScript the page refreshes itself through a
 * <noscript> meta refresh.
 */
(function () {
  "use strict";
  /* A notice belongs to the redirect that carried it, not to reloads. */
  if (/[?&]notice=/.test(window.location.search) && window.history.replaceState)
    window.history.replaceState(null, "", window.location.pathname + window.location.hash);

  /* lib/reltime.c reltime_ago(), for "d" seconds ago (negative: to come). */
  function ago(d) {
    var a = Math.abs(d), u;
    if (a < 10) return "just now";
    if (a < 60) u = Math.floor(a) + " s";
    else if (a < 3600) u = Math.floor(a / 60) + " min";
    else if (a < 86400) u = Math.floor(a / 3600) + " h";
    else if (a < 2 * 86400) u = "1 day";
    else u = Math.floor(a / 86400) + " days";
    return d < 0 ? "in " + u : u + " ago";
  }
  function agoAll() {
    var els = document.querySelectorAll(".ago[data-at]"), now = Date.now(), i, t;
    for (i = 0; i < els.length; i++) {
      t = Date.parse(els[i].getAttribute("data-at"));
      if (!isNaN(t)) els[i].textContent = ago((now - t) / 1000);
    }
  }
  setInterval(agoAll, 15000);

  var root = document.getElementById("account");
  if (!root) return;
  var id = root.getAttribute("data-id");
  var status = root.getAttribute("data-status");
  var version = root.getAttribute("data-qr-version");
  var deadline = document.getElementById("deadline");
  var remaining = document.getElementById("remaining");
  var qrN = document.getElementById("qr-n");
  var base = null;

  function tick() {
    if (!deadline) return;
    var v = Math.max(0, Number(deadline.value) - 1);
    deadline.value = v;
    if (remaining) remaining.textContent = String(v);
  }

  function apply(s) {
    if (s.status !== status || (s.status === "pending" &&
        (s.pair_code !== null) !== (document.getElementById("pair-code") !== null)) ||
        (s.has_qr && !document.getElementById("qr") && !s.pair_code)) {
      window.location.replace(window.location.pathname);
      return;
    }
    if (deadline && typeof s.pair_remaining_s === "number")
      deadline.value = s.pair_remaining_s;
    if (String(s.qr_version) !== version) {
      var img = document.getElementById("qr");
      var save = document.getElementById("qr-save");
      if (base === null && qrN)
        base = Number(version) - Number((qrN.textContent.match(/\d+/) || ["0"])[0]);
      version = String(s.qr_version);
      root.setAttribute("data-qr-version", version);
      if (img) img.src = "/accounts/" + id + "/qr.png?v=" + version;
      if (save) save.href = "/accounts/" + id + "/qr.png?v=" + version + "&download=1";
      if (qrN && base !== null) qrN.textContent = "QR " + (Number(version) - base) + " of ~6";
    }
  }

  function poll() {
    fetch("/accounts/" + id + "/status.json", { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) { if (s) apply(s); })
      .catch(function () {});
  }

  /* Live status on every account page; the countdown only while pairing. */
  setInterval(poll, 2000);
  if (deadline) setInterval(tick, 1000);
})();

/*
 * Send-test states (issue 10): poll
 * /accounts/{id}/groups/send.json?jid=... every second for each target
 * still sending, so a send to another target never moves this one:
 * the groups page's rows (tr.group in #groups) and the account page's
 * phone send-test (#phone-send, jid = the number's digits).
 */
(function () {
  "use strict";

  function watch(id, row) {
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

  var root = document.getElementById("groups");
  if (root && root.getAttribute("data-id")) {
    var rows = root.querySelectorAll("tr.group[data-state=sending]");
    for (var i = 0; i < rows.length; i++)
      watch(root.getAttribute("data-id"), rows[i]);
  }
  var phone = document.getElementById("phone-send");
  if (phone && phone.getAttribute("data-state") === "sending")
    watch(phone.getAttribute("data-id"), phone);
})();

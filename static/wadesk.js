/*
 * wadesk: progressive enhancement for the account page.  Poll
 * status.json every 2 s: swap
 * the QR image when qr_version changes (no full reload), keep the
 * countdown bar moving, and reload the page when the status, the
 * pairing code or the presence of a QR changes.  Without JavaScript
 * the page refreshes itself through a <noscript> meta refresh.
 */
(function () {
  "use strict";
  /* A notice belongs to the redirect that carried it, not to reloads. */
  if (/[?&]notice=/.test(window.location.search) && window.history.replaceState)
    window.history.replaceState(null, "", window.location.pathname);
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

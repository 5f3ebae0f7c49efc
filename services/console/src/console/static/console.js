// Trygg hemgång console: live countdowns and live regions. No framework: two small behaviours.
(function () {
  "use strict";

  function pad(n) { return String(n).padStart(2, "0"); }

  // The page's words in its language: the server puts them on <html data-text-*> ({time} is filled in).
  function text(name, time) {
    var template = document.documentElement.getAttribute("data-text-" + name) || name;
    return template.replace("{time}", time === undefined ? "" : time);
  }

  // Same wording as the server's first render (console.entrypoints.pages.left_text).
  function leftText(deadline, now) {
    var seconds = Math.trunc((deadline - now) / 1000);
    var past = seconds < 0;
    seconds = Math.abs(seconds);
    var days = Math.floor(seconds / 86400);
    var rest = seconds % 86400;
    var clock = pad(Math.floor(rest / 3600)) + ":" + pad(Math.floor((rest % 3600) / 60)) + ":" + pad(rest % 60);
    var clockText = days ? days + " d " + clock : clock;
    return past ? text("liable", clockText) : text("left", clockText);
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-deadline]").forEach(function (el) {
      var deadline = Date.parse(el.getAttribute("data-deadline"));
      if (isNaN(deadline)) { return; }
      el.textContent = leftText(deadline, now);
      var remaining = deadline - now;
      el.classList.toggle("overdue", remaining < 0);
      el.classList.toggle("urgent", remaining >= 0 && remaining < 24 * 3600 * 1000);
    });
  }

  // The live status line: its text for people, its data-state (off, connecting, live, paused) for
  // styling and tests. Only an open event stream makes it "live"; the page starts "off" (no script).
  function setStatus(state, words) {
    var status = document.getElementById("live-status");
    if (!status) { return; }
    status.setAttribute("data-state", state);
    status.textContent = words;
  }

  var pending = false;
  var running = false;

  function refresh() {
    var region = document.querySelector("[data-live]");
    if (!region) { return; }
    if (running) { pending = true; return; }
    running = true;
    fetch(window.location.pathname + window.location.search, {
      headers: { "X-Console-Partial": "1" },
      credentials: "same-origin",
      cache: "no-store"
    }).then(function (response) {
      if (response.status === 200) { return response.text(); }
      if (response.redirected || response.status === 401) { window.location.reload(); }
      return null;
    }).then(function (html) {
      if (html !== null && html !== undefined) {
        region.innerHTML = html;
        tick();
        setStatus("live", text("updated", new Date().toLocaleTimeString("sv-SE")));
      }
    }).catch(function () { /* the next change event tries again */ })
      .finally(function () {
        running = false;
        if (pending) { pending = false; refresh(); }
      });
  }

  function listen() {
    var region = document.querySelector("[data-live]");
    if (!region || !window.EventSource) { return; }
    // From the version this page was rendered at: a change while it loaded is not lost. On a
    // reconnect the browser sends the last event's id and the server resumes from there.
    var version = region.getAttribute("data-version");
    var source = new EventSource(version === null ? "/events" : "/events?since=" + encodeURIComponent(version));
    source.addEventListener("change", refresh);
    setStatus("connecting", text("connecting"));
    source.addEventListener("error", function () { setStatus("paused", text("paused")); });
    source.addEventListener("open", function () { setStatus("live", text("live")); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    tick();
    window.setInterval(tick, 1000);
    listen();
  });
})();

/*
 * Herald's popular box. On the site's page:
 *
 *   <div data-herald-popular data-network="twitter" data-limit="5"></div>
 *   <script async src="https://herald.example/widget/popular.js"></script>
 *
 * Every element with data-herald-popular is filled with GET /widget/popular;
 * its data-network, data-by, data-limit, data-since, data-section,
 * data-trending and data-title attributes become the query. What the element
 * held stays when Herald cannot be reached.
 *
 * The script also counts a view of the page (its <link rel="canonical">, or
 * its address) with Herald's cookieless beacon, GET /v?url=, for the "Most
 * viewed" ranking (data-by="views"); data-views="off" on the script tag
 * turns that off.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var base = script ? script.src.replace(/\/widget\/popular\.js(\?.*)?$/, "") : "";
  var keys = ["network", "by", "limit", "since", "section", "trending", "title"];
  function fill() {
    var boxes = document.querySelectorAll("[data-herald-popular]");
    Array.prototype.forEach.call(boxes, function (el) {
      var q = new URLSearchParams();
      keys.forEach(function (k) {
        var v = el.getAttribute("data-" + k);
        if (v) { q.set(k, v); }
      });
      fetch(base + "/widget/popular?" + q.toString(), { credentials: "omit" })
        .then(function (r) { return r.ok ? r.text() : ""; })
        .then(function (html) { if (html) { el.innerHTML = html; } })
        .catch(function () {});
    });
  }
  function view() {
    if (!base || script.getAttribute("data-views") === "off") { return; }
    var link = document.querySelector('link[rel="canonical"]');
    var page = link && link.href ? link.href : location.href;
    fetch(base + "/v?url=" + encodeURIComponent(page), { credentials: "omit", keepalive: true })
      .catch(function () {});
  }
  function start() {
    view();
    fill();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();

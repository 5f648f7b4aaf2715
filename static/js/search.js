/* Search across every edition: the query is folded exactly as builder/search.py folds the
   index (NFKC, lower case, Traditional → Simplified), split into the same terms, and
   matched against the shards that hold them. No server, no framework. */
(function () {
  "use strict";
  var form = document.getElementById("search-form");
  if (!form) return;
  var input = form.querySelector("input[type=search]");
  var list = document.getElementById("search-results");
  var status = document.getElementById("search-status");
  var root = form.getAttribute("data-index");       // e.g. /repo/search/
  var edition = form.getAttribute("data-edition");  // the edition's folder: zh-hans
  var base = form.getAttribute("data-base");        // e.g. /repo/
  var slot = Number(form.getAttribute("data-slot"));          // its place among the editions
  var editions = Number(form.getAttribute("data-editions"));  // titles (and summaries) a result has
  var meta = null, fold = null, shards = {}, docShards = {};

  function getJSON(path) {
    return fetch(root + path).then(function (r) {
      if (!r.ok) throw new Error(path + ": " + r.status);
      return r.json();
    });
  }
  function loadMeta() {
    if (meta) return Promise.resolve(meta);
    return getJSON("meta.json").then(function (m) {
      meta = m; fold = {};
      var pairs = Array.from(m.fold);  // by code point: some characters are outside the BMP
      for (var i = 0; i + 1 < pairs.length; i += 2) fold[pairs[i]] = pairs[i + 1];
      return m;
    });
  }
  function foldText(text) {
    var chars = Array.from(text.normalize("NFKC").toLowerCase()), out = "";
    for (var i = 0; i < chars.length; i++) out += fold[chars[i]] || chars[i];
    return out;
  }
  // with the supplementary planes' ideographs, as builder/search.py; "u": by code point
  var HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u{20000}-\u{3134F}";
  var RUNS = new RegExp("[" + HAN + "]+|[a-z0-9]+", "gu");
  var HAN_RUN = new RegExp("^[" + HAN + "]+$", "u");
  function terms(folded) {
    var out = [], runs = folded.match(RUNS) || [];
    runs.forEach(function (run) {
      if (!HAN_RUN.test(run)) { out.push(run); return; }
      var chars = Array.from(run);  // a character past the BMP is two code units
      if (chars.length === 1) { out.push(run); return; }
      for (var i = 0; i + 1 < chars.length; i++) out.push(chars[i] + chars[i + 1]);
    });
    return out;
  }
  function shardOf(term, count) {
    var h = 0x811c9dc5;
    for (var i = 0; i < term.length; i++) {
      h ^= term.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    return h % count;
  }
  function shard(folder, n) {   // t/: the archive's postings; r/: the recent documents'
    var key = folder + "/" + n + ".json";
    if (!shards[key]) shards[key] = getJSON(key);
    return shards[key];
  }
  function docShard(n) {
    if (!docShards[n]) docShards[n] = getJSON("d/" + n + ".json");
    return docShards[n];
  }

  function search(query) {
    return loadMeta().then(function (m) {
      var wanted = terms(foldText(query)).filter(function (t, i, all) { return all.indexOf(t) === i; });
      if (!wanted.length) return [];
      return Promise.all(wanted.map(function (t) {
        // an index made before the recent shards has none: a page cached from then still works
        var recent = m.recentShards ? shard("r", shardOf(t, m.recentShards)) : Promise.resolve({});
        return Promise.all([shard("t", shardOf(t, m.shards)), recent]);
      }))
        .then(function (loaded) {
          var scores = null;
          wanted.forEach(function (t, k) {
            var postings = (loaded[k][0][t] || []).concat(loaded[k][1][t] || []), next = {};
            for (var i = 0; i + 1 < postings.length; i += 2) {
              var doc = postings[i];
              if (scores === null || doc in scores) next[doc] = (scores ? scores[doc] : 0) + postings[i + 1];
            }
            scores = next;
          });
          return Object.keys(scores).map(Number).sort(function (a, b) {
            return scores[b] - scores[a] || b - a;   // then the newer: numbered oldest first
          });
        });
    });
  }

  function render(query, ids) {
    list.textContent = "";
    var shown = ids.slice(0, 30);
    var pages = shown.map(function (id) { return Math.floor(id / meta.docsPerShard); });
    return Promise.all(pages.map(docShard)).then(function (loaded) {
      shown.forEach(function (id, k) {
        var d = loaded[k][id % meta.docsPerShard];  // [path, date, title per edition…, summary per edition…]
        var li = document.createElement("li");
        var a = document.createElement("a");
        a.href = base + edition + "/" + d[0];
        a.textContent = d[2 + slot];
        var time = document.createElement("time");
        time.dateTime = d[1];
        time.textContent = d[1];
        var p = document.createElement("p");
        p.textContent = d[2 + editions + slot];
        li.appendChild(a); li.appendChild(document.createTextNode(" ")); li.appendChild(time); li.appendChild(p);
        list.appendChild(li);
      });
      status.textContent = (form.getAttribute(ids.length ? "data-found" : "data-none") || "")
        .replace("{n}", String(ids.length)).replace("{q}", query);
    });
  }

  var latest = 0;
  function run() {
    var query = input.value.trim(), ticket = ++latest;
    if (!query) { list.textContent = ""; status.textContent = ""; return; }
    search(query).then(function (ids) {
      if (ticket === latest) return render(query, ids);
    }).catch(function (error) { status.textContent = String(error); });
  }
  var timer = null;
  input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(run, 150); });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var url = new URL(location.href);
    url.searchParams.set("q", input.value);
    history.replaceState(null, "", url);
    run();
  });
  var initial = new URL(location.href).searchParams.get("q");
  if (initial) { input.value = initial; run(); }
  form.removeAttribute("hidden");
  var noscript = document.getElementById("search-noscript");
  if (noscript) noscript.remove();
})();

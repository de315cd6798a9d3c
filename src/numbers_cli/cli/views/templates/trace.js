// nit trace --html: draws the lineage graph, asset cards and timeline from the
// inline JSON (schema: docs/formats.md "Trace JSON"). No network, no libraries.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("trace-data").textContent);
  var trace = data.trace, thumbs = data.thumbnails || {};
  var SVG = "http://www.w3.org/2000/svg";

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function svg(tag, attrs, text) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function short(nid) { return nid.length > 22 ? nid.slice(0, 8) + "…" + nid.slice(-10) : nid; }
  function when(ts) {
    if (ts === null || ts === undefined) return "-";
    return new Date(ts * 1000).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
  }
  function bad(node) { return node.versions.some(function (v) { return v.verdict !== "ok"; }); }
  function state(node) { return node.missing ? "missing" : bad(node) ? "bad" : "ok"; }
  function fieldText(value) {
    if (value === null || value === undefined) return null;
    if (Array.isArray(value)) {
      return value.map(function (r) {
        return typeof r === "object" ? (r.network || "?") + " " + (r.contractAddress || "?") +
          " #" + (r.tokenId === undefined ? "?" : r.tokenId) : String(r);
      }).join("; ");
    }
    if (typeof value === "object") return value.name || JSON.stringify(value);
    return String(value);
  }

  // Header and summary.
  document.getElementById("subject").appendChild(el("span", { "class": "nid" }, trace.subject));
  var badCount = 0;
  trace.nodes.forEach(function (n) { n.versions.forEach(function (v) { if (v.verdict !== "ok") badCount++; }); });
  var summary = document.getElementById("summary");
  summary.textContent = trace.nodes.length + " asset(s), " +
    (badCount ? badCount + " version(s) FAIL their checks" : "every version's checks hold") +
    (trace.network ? " · chain: " + trace.network : " · local only");
  summary.className = badCount ? "bad" : "ok";

  // Lineage graph: one row per generation, edges parent -> child.
  var rows = {}, order = [];
  trace.nodes.forEach(function (n) {
    if (!(n.generation in rows)) { rows[n.generation] = []; order.push(n.generation); }
    rows[n.generation].push(n);
  });
  order.sort(function (a, b) { return a - b; });
  var W = 210, H = 64, GX = 24, GY = 50, pos = {};
  var widest = Math.max.apply(null, order.map(function (g) { return rows[g].length; }));
  var width = Math.max(widest * (W + GX) + GX, 480), height = order.length * (H + GY) + GY;
  var graph = svg("svg", { viewBox: "0 0 " + width + " " + height, role: "img",
                           style: "max-width:" + width + "px",
                           "aria-label": "lineage graph" });
  var defs = svg("defs");
  var marker = svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: "10", refY: "5",
                               markerWidth: "8", markerHeight: "8", orient: "auto" });
  marker.appendChild(svg("path", { d: "M0,0 L10,5 L0,10 z", fill: "#8a8a96" }));
  defs.appendChild(marker); graph.appendChild(defs);
  order.forEach(function (g, row) {
    var list = rows[g], offset = (width - list.length * (W + GX) + GX) / 2;
    list.forEach(function (n, i) { pos[n.nid] = { x: offset + i * (W + GX), y: GY / 2 + row * (H + GY) }; });
  });
  trace.edges.forEach(function (e) {
    var a = pos[e.parent], b = pos[e.child];
    if (!a || !b) return;
    var x1 = a.x + W / 2, y1 = a.y + H, x2 = b.x + W / 2, y2 = b.y;
    graph.appendChild(svg("path", { "class": "edge",
      d: "M" + x1 + "," + y1 + " C" + x1 + "," + (y1 + GY / 2) + " " + x2 + "," + (y2 - GY / 2) + " " + x2 + "," + y2 }));
  });
  trace.nodes.forEach(function (n) {
    var p = pos[n.nid];
    var group = svg("g", { "class": "gnode " + state(n) + (n.nid === trace.subject ? " subject" : ""),
                           "data-nid": n.nid, transform: "translate(" + p.x + "," + p.y + ")" });
    group.appendChild(svg("rect", { width: W, height: H, rx: 8 }));
    group.appendChild(svg("text", { x: 8, y: 18 }, short(n.nid)));
    group.appendChild(svg("text", { x: 8, y: 34 }, (n.name || n.role) + " · gen " + n.generation));
    group.appendChild(svg("text", { x: 8, y: 50 },
      n.missing ? "missing" : n.versions.length + " version(s) · " + (bad(n) ? "FAILED" : "verified")));
    graph.appendChild(group);
  });
  document.getElementById("lineage").appendChild(graph);

  // One card per asset.
  var assets = document.getElementById("assets");
  trace.nodes.forEach(function (n) {
    var card = el("article", { "class": "asset " + state(n), id: "asset-" + n.nid, "data-nid": n.nid });
    if (thumbs[n.nid]) card.appendChild(el("img", { src: thumbs[n.nid], alt: "thumbnail of " + n.nid }));
    else card.appendChild(el("div", { "class": "thumb-none" }, n.where.content === "local" ? "no preview" : "file not here"));
    var body = el("div", { "class": "body" });
    body.appendChild(el("div", { "class": "role" }, n.role + " · generation " + n.generation + " · found by " + n.foundBy));
    body.appendChild(el("h3", { "class": "nid" }, n.nid));
    var dl = el("dl");
    function row(k, v) { if (v === null || v === undefined || v === "") return; dl.appendChild(el("dt", {}, k)); dl.appendChild(el("dd", {}, v)); }
    row("file", n.name);
    row("licence", fieldText(n.fields.license));
    row("creator", fieldText(n.fields.assetCreator) || fieldText(n.fields.creatorWallet));
    row("created", n.fields.assetTimestampCreated ? when(n.fields.assetTimestampCreated) : null);
    row("format", fieldText(n.fields.encodingFormat));
    row("generatedBy", fieldText(n.fields.generatedBy));
    row("digitalSourceType", fieldText(n.fields.digitalSourceType));
    row("NFT records", fieldText(n.fields.nftRecord));
    row("parents", n.parents.map(function (p) {  // and which versions name each one
      var naming = n.versions.filter(function (v) { return v.parent === p; })
                             .map(function (v) { return "#" + v.index; });
      return naming.length ? p + " (named by version " + naming.join(", ") + ")" : p;
    }).join("; "));
    row("where", (n.where.local ? "commits local" : "no local commits") + " · file " +
        (n.where.content === "local" ? "local" : "missing") + " · chain " + n.where.chain);
    row("chain detail", n.chainDetail);
    body.appendChild(dl);
    if (n.missing) {
      body.appendChild(el("p", { "class": "missing-note" }, "missing: no commit of this asset was found locally or on chain"));
    } else {
      var table = el("table"), head = el("tr");
      ["#", "action", "date", "signer", "where", "tree", "verdict"].forEach(function (h) { head.appendChild(el("th", {}, h)); });
      table.appendChild(head);
      n.versions.forEach(function (v) {
        var tr = el("tr", { "data-commit": v.commit });
        tr.appendChild(el("td", {}, v.index));
        tr.appendChild(el("td", {}, v.action));
        tr.appendChild(el("td", {}, when(v.timestamp)));
        tr.appendChild(el("td", { "class": "nid" }, v.signer || v.committer || "?"));
        var places = [];
        if (v.where.local) places.push("local");
        if (v.where.chain) places.push("block " + v.where.chain.block);
        tr.appendChild(el("td", {}, places.join(", ")));
        tr.appendChild(el("td", {}, v.treeWhere));
        tr.appendChild(el("td", { "class": "verdict " + (v.verdict === "ok" ? "ok" : "bad"), title: v.detail },
          v.verdict === "ok" ? "✓ ok" : "✗ " + v.verdict + ": " + v.detail));
        table.appendChild(tr);
      });
      body.appendChild(table);
    }
    card.appendChild(body);
    assets.appendChild(card);
  });

  // Timeline: every version of every asset by date.
  var all = [];
  trace.nodes.forEach(function (n) { n.versions.forEach(function (v) { all.push([n, v]); }); });
  all.sort(function (a, b) { return (a[1].timestamp || 0) - (b[1].timestamp || 0); });
  var timeline = document.getElementById("timeline");
  all.forEach(function (item) {
    var n = item[0], v = item[1];
    timeline.appendChild(el("li", { "class": v.verdict === "ok" ? "ok" : "bad" },
      when(v.timestamp) + " — " + (n.name || short(n.nid)) + " #" + v.index + " " + v.action +
      " — " + (v.verdict === "ok" ? "✓ ok" : "✗ " + v.verdict)));
  });
  document.body.setAttribute("data-rendered", "yes");
})();

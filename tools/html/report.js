/* report.js - the script of `ratmem report --format=html` (report.html).
 *
 * The data is the JSON block #ratmem-data that tools/out_html.c writes:
 *   { ratmem_html: 1, generator, generated_ms, diff: bool,
 *     docs: [ { file, type, pid, exe, summary, sequence, timestamp_ms,
 *               file_mtime_ms, sampled, report_seconds, command, exit, options,
 *               procs: [ { pid, ppid, exe, argv, exit, summary } ],
 *               modules: [path...], kinds: [name...],
 *               frames: [ [function, module, offset, file, line] ],
 *               groups: [ [kind, bytes, blocks, proc, [frame, ...leaf first]] ] } ] }
 * With diff, docs[0] is the base (OLD) and docs[1] the new document.
 *
 * Everything is drawn here: an icicle graph on a canvas (root at the top,
 * allocating frames below), built from the stacks of the blocks chosen
 * (leaked, reachable, live), a table of the groups, and the header.
 * Plain ES2017, no libraries, no network. */
(function () {
  'use strict';
  var T0 = performance.now();
  var $ = function (id) { return document.getElementById(id); };
  var ROW = 18;            /* px per stack level */
  var MIN_W = 1;           /* px: narrower boxes (and their children) are not drawn */
  var LABEL_W = 22;        /* px: narrower boxes get no text */
  var PAGE = 100;          /* table rows per "Show more" */
  var LEAKED = { direct: 1, indirect: 1 };
  var KIND_COL = { direct: '#e4573d', indirect: '#f3a35c', reachable: '#6fb1d9', live: '#8cc26f',
                   suppressed: '#b9b9b9' };
  var PALETTE = ['#f2a65a', '#7fb8e0', '#a5cf72', '#e88b8b', '#c3a6e0', '#e8c95a', '#72d0c4',
                 '#f0a3c9', '#9fa8f0', '#d2a77d', '#b5d86a', '#8ec9f2'];
  var HIT = '#d63cf0';

  /* For tests and the curious: window.ratmemReport (timings, state, the
     labels drawn, where a frame is drawn). */
  var api = window.ratmemReport = { timings: {}, state: {} };

  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }
  function base(p) { var i = String(p).lastIndexOf('/'); return i < 0 ? String(p) : String(p).slice(i + 1); }
  function num(n) {
    n = Math.round(n);
    return (n < 0 ? '-' : '') + String(Math.abs(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  }
  function bytes(n) {
    var a = Math.abs(n), s = n < 0 ? '\u2212' : '';
    if (a < 1024) return s + a + ' B';
    var u = ['KiB', 'MiB', 'GiB', 'TiB'], i = -1;
    do { a /= 1024; i++; } while (a >= 1024 && i < u.length - 1);
    return s + (a >= 100 ? a.toFixed(0) : a >= 10 ? a.toFixed(1) : a.toFixed(2)) + ' ' + u[i];
  }
  function sbytes(n) { return (n > 0 ? '+' : '') + bytes(n); }
  function pct(a, b) {
    if (!b) return '0%';
    var p = 100 * a / b;
    return (p >= 10 || p === 0 ? p.toFixed(1) : p >= 0.1 ? p.toFixed(2) : '<0.1') + '%';
  }
  function time(ms) {
    var d = new Date(ms);
    return isNaN(d) ? '' : d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  }
  function hash(s) {
    var h = 2166136261;
    for (var i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 16777619); }
    return h >>> 0;
  }
  function fail(msg) {
    var m = el('p', 'error', msg);
    document.body.insertBefore(m, document.body.firstChild);
  }

  var D;
  try {
    D = JSON.parse($('ratmem-data').textContent);
  } catch (e) {
    fail('This report holds no readable data: ' + e.message);
    return;
  }
  var T1 = performance.now();
  var docs = D.docs || [];
  var DIFF = !!D.diff && docs.length === 2;

  /* ---- The model: function keys and modules shared by all documents ---- */
  var fnIndex = new Map(), fnName = [], fnMod = [], fnFile = [];
  var modIndex = new Map(), modPath = [], modBytes = [];
  function internMod(path) {
    var m = modIndex.get(path);
    if (m === undefined) { m = modPath.length; modIndex.set(path, m); modPath.push(path); modBytes.push(0); }
    return m;
  }
  var procs = [];   /* every process of every document: { doc, pid, exe, ... } */
  docs.forEach(function (doc, di) {
    doc.index = di;
    var mods = (doc.modules || []).map(internMod);
    var fr = doc.frames || [];
    var fk = new Int32Array(fr.length), fm = new Int32Array(fr.length);
    for (var i = 0; i < fr.length; i++) {
      var f = fr[i], m = mods[f[1]] | 0, name = f[0];
      if (!name) name = base(modPath[m]) + '+' + f[2];
      var key = name + '\u0000' + m, id = fnIndex.get(key);
      if (id === undefined) {
        id = fnName.length; fnIndex.set(key, id); fnName.push(name); fnMod.push(m);
        fnFile.push(f[3] || '');
      }
      fk[i] = id; fm[i] = m;
    }
    doc.fk = fk; doc.fm = fm;
    doc.procList = (doc.procs && doc.procs.length ? doc.procs : [{ pid: doc.pid, exe: doc.exe, summary: doc.summary }]);
    doc.procList.forEach(function (p, pi) { p.doc = doc; p.local = pi; p.id = procs.length; procs.push(p); });
    doc.kinds = doc.kinds || [];
    (doc.groups || []).forEach(function (g) {
      var fs = g[4];
      if (fs.length) modBytes[fm[fs[0]]] += g[1];
    });
  });
  /* Module colours by rank: the module that allocates most gets the first. */
  var modRank = modPath.map(function (_, i) { return i; })
    .sort(function (a, b) { return modBytes[b] - modBytes[a] || a - b; });
  var modCol = [];
  modRank.forEach(function (m, r) { modCol[m] = PALETTE[r % PALETTE.length]; });

  /* ---- What is shown ---- */
  var S = {
    view: null,        /* 'leaked' | 'reachable' | 'live' | 'all' */
    proc: -1,          /* -1 = every process merged, else procs[] index */
    colour: DIFF ? 'change' : 'module',
    query: '',
    sort: DIFF ? 'delta' : 'bytes', desc: true,
    shown: PAGE
  };
  api.state = S;

  function kindOf(doc, g) { return doc.kinds[g[0]] || String(g[0]); }
  function inView(kind, view) {
    if (view === 'all') return true;
    if (view === 'leaked') return !!LEAKED[kind];
    return kind === view;
  }
  /* The views that have something (and always "leaked" for leak reports). */
  function views() {
    var have = {};
    docs.forEach(function (doc) {
      (doc.groups || []).forEach(function (g) { have[kindOf(doc, g)] = 1; });
    });
    var v = [];
    var leakDoc = docs.some(function (d) { return d.type !== 'dump'; });
    if (leakDoc || have.direct || have.indirect) v.push(['leaked', 'Leaked', 'direct and indirect leaks']);
    if (have.reachable) v.push(['reachable', 'Reachable', 'still reachable at exit']);
    if (have.live) v.push(['live', 'Live', 'live blocks of a heap dump']);
    if (have.suppressed) v.push(['suppressed', 'Suppressed', 'leaks left out by suppressions']);
    if (v.length > 1) v.push(['all', 'All', 'every block listed']);
    return v;
  }

  /* The groups of the view: [{doc, g, kind, v, b, proc}] (one document). */
  function items(doc) {
    var out = [];
    (doc.groups || []).forEach(function (g) {
      var kind = kindOf(doc, g);
      if (!inView(kind, S.view)) return;
      var p = doc.procList[g[3] | 0];
      if (S.proc >= 0 && (!p || p.id !== S.proc)) return;
      out.push({ doc: doc, g: g, kind: kind, v: g[1], b: g[2], proc: p ? p.id : -1 });
    });
    return out;
  }

  /* ---- The tree ----
   * Nodes are indices into typed arrays (a 13 000-stack dump makes ~100 000
   * nodes: objects would cost more in allocation and GC than the rest of the
   * page).  Node 0 is the root; children are found through an open hash of
   * (parent, function key) while building, then laid out as ranges of one
   * array, widest first. */
  var kindIds = new Map(), kindName = [];
  function kindId(k) {
    var i = kindIds.get(k);
    if (i === undefined) { i = kindName.length; kindIds.set(k, i); kindName.push(k); }
    return i;
  }
  function Tree(stacks) {
    var cap = 1;
    for (var i = 0; i < stacks.length; i++) cap += stacks[i].frames.length;
    this.n = 1;
    this.parent = new Int32Array(cap); this.parent[0] = -1;
    this.fn = new Int32Array(cap); this.fn[0] = -1;
    this.depth = new Uint16Array(cap);
    this.v = new Float64Array(cap); this.b = new Float64Array(cap); this.self = new Float64Array(cap);
    this.old = new Float64Array(cap); this.nw = new Float64Array(cap);
    this.fd = new Int32Array(cap).fill(-1); this.fi = new Int32Array(cap);
    this.lines = new Uint8Array(cap);
    this.kind = new Int32Array(cap).fill(-1);   /* kind id, -2 = several (see kv) */
    this.kv = new Map();
    var hcap = 16;
    while (hcap < cap * 2) hcap *= 2;
    this.hash = new Int32Array(hcap);
    this.mask = hcap - 1;
    this.col = null;
  }
  Tree.prototype.child = function (p, f) {
    var h = Math.imul(p, 0x9e3779b1) ^ Math.imul(f + 1, 0x85ebca77), c;
    h ^= h >>> 15; h = Math.imul(h, 0x2c1b3c6d); h ^= h >>> 12;
    h &= this.mask;
    while ((c = this.hash[h]) !== 0) {
      if (this.parent[c] === p && this.fn[c] === f) return c;
      h = (h + 1) & this.mask;
    }
    c = this.n++;
    this.hash[h] = c;
    this.parent[c] = p; this.fn[c] = f; this.depth[c] = this.depth[p] + 1;
    return c;
  };
  Tree.prototype.addKind = function (n, k, v) {
    var cur = this.kind[n];
    if (cur === k) return;
    if (cur === -1) { this.kind[n] = k; return; }
    var kv = this.kv.get(n);
    if (!kv) { kv = {}; kv[kindName[cur]] = this.v[n] - v; this.kv.set(n, kv); this.kind[n] = -2; }
    kv[kindName[k]] = (kv[kindName[k]] || 0) + v;
  };
  /* Add one stack (s.doc, s.frames leaf first) with value v, blocks b. */
  Tree.prototype.add = function (doc, frames, v, b, kind) {
    var n = 0, k = kindId(kind), fk = doc.fk, di = doc.index;
    this.v[0] += v; this.b[0] += b; this.addKind(0, k, v);
    for (var i = frames.length - 1; i >= 0; i--) {
      var fi = frames[i];
      n = this.child(n, fk[fi]);
      this.v[n] += v; this.b[n] += b;
      if (this.kind[n] !== k) this.addKind(n, k, v);
      if (this.fd[n] < 0) { this.fd[n] = di; this.fi[n] = fi; }
      else if (!this.lines[n] && (this.fd[n] !== di || this.fi[n] !== fi)) {
        var a = docs[this.fd[n]].frames[this.fi[n]], c = doc.frames[fi];
        if (a[3] !== c[3] || a[4] !== c[4]) this.lines[n] = 1;
      }
    }
    this.self[n] += v;
    return n;
  };
  /* Children ranges widest first, x offsets, breadth-first order, depth below. */
  Tree.prototype.finish = function () {
    var n = this.n, i, par = this.parent, v = this.v, fn = this.fn;
    this.hash = null;
    var ks = new Int32Array(n + 1);
    for (i = 1; i < n; i++) ks[par[i] + 1]++;
    for (i = 0; i < n; i++) ks[i + 1] += ks[i];
    var fill = ks.slice(0, n), kids = new Int32Array(Math.max(n - 1, 1));
    for (i = 1; i < n; i++) kids[fill[par[i]]++] = i;
    var cmp = function (a, b) { return v[b] - v[a] || fn[a] - fn[b]; };
    for (i = 0; i < n; i++) {
      var a = ks[i], z = ks[i + 1];
      if (z - a > 24) kids.set(Array.prototype.slice.call(kids, a, z).sort(cmp), a);
      else for (var s = a + 1; s < z; s++) {   /* insertion sort: most nodes have a few children */
        var e = kids[s], ev = v[e], r = s - 1;
        while (r >= a && (v[kids[r]] < ev || (v[kids[r]] === ev && fn[kids[r]] > fn[e]))) { kids[r + 1] = kids[r]; r--; }
        kids[r + 1] = e;
      }
    }
    this.ks = ks; this.kids = kids;
    var order = new Int32Array(n), x0 = new Float64Array(n), maxd = new Uint16Array(n), len = 1;
    for (i = 0; i < len; i++) {
      var m = order[i], x = x0[m];
      for (var j = ks[m]; j < ks[m + 1]; j++) { var c = kids[j]; x0[c] = x; x += v[c]; order[len++] = c; }
    }
    for (i = n - 1; i > 0; i--) {
      var q = order[i], p = par[q];
      if (maxd[p] < maxd[q] + 1) maxd[p] = maxd[q] + 1;
    }
    this.order = order; this.x0 = x0; this.maxd = maxd;
    return this;
  };
  Tree.prototype.kinds = function (n) {
    if (this.kind[n] === -2) return this.kv.get(n);
    var o = {};
    if (this.kind[n] >= 0) o[kindName[this.kind[n]]] = this.v[n];
    return o;
  };
  Tree.prototype.domKind = function (n) {
    if (this.kind[n] !== -2) return kindName[this.kind[n]];
    var kv = this.kv.get(n), best = null, bv = -1;
    for (var k in kv) if (kv[k] > bv) { bv = kv[k]; best = k; }
    return best;
  };
  Tree.prototype.name = function (n) { return n === 0 ? this.label : fnName[this.fn[n]]; };

  /* One tree, or in diff mode a "grown" and a "shrunk" one. */
  function buildTrees() {
    var trees = [];
    if (!DIFF) {
      var list = [];
      docs.forEach(function (doc) { list = list.concat(items(doc)); });
      var t = new Tree(list.map(function (it) { return { frames: it.g[4] }; }));
      list.forEach(function (it) { it.tree = t; it.leaf = t.add(it.doc, it.g[4], it.v, it.b, it.kind); });
      t.label = (S.proc >= 0 ? procLabel(procs[S.proc]) : procs.length > 1 ? 'all processes' : 'all') + ' \u2014 ' + bytes(t.v[0]);
      trees.push({ id: 'main', title: null, t: t.finish(), items: list, total: t.v[0] });
      return trees;
    }
    /* diff: stacks keyed by their function keys, across both documents */
    var per = new Map();
    [0, 1].forEach(function (side) {
      var doc = docs[side];
      items(doc).forEach(function (it) {
        var fs = it.g[4], key = it.kind + ':';
        for (var i = 0; i < fs.length; i++) key += doc.fk[fs[i]] + ',';
        var e = per.get(key);
        if (!e) { e = { kind: it.kind, ov: 0, ob: 0, nv: 0, nb: 0, doc: doc, frames: fs }; per.set(key, e); }
        if (side === 0) { e.ov += it.v; e.ob += it.b; } else { e.nv += it.v; e.nb += it.b; e.doc = doc; e.frames = fs; }
      });
    });
    var all = Array.from(per.values());
    var grow = new Tree(all), shrink = new Tree(all), gl = [];
    all.forEach(function (e) {
      var dv = e.nv - e.ov, db = e.nb - e.ob;
      var it = { doc: e.doc, g: [0, e.nv, e.nb, 0, e.frames], kind: e.kind, v: dv, b: db, old: e.ov, nw: e.nv, proc: -1,
                 leaf: -1, tree: null };
      var t = dv > 0 ? grow : dv < 0 ? shrink : null;
      if (t) {
        it.tree = t;
        it.leaf = t.add(e.doc, e.frames, Math.abs(dv), Math.abs(db), e.kind);
        for (var m = it.leaf; m >= 0; m = t.parent[m]) { t.old[m] += e.ov; t.nw[m] += e.nv; }
      }
      gl.push(it);   /* unchanged stacks: in the table only */
    });
    grow.label = 'grown \u2014 ' + bytes(grow.v[0]); shrink.label = 'shrunk \u2014 ' + bytes(shrink.v[0]);
    var ng = gl.filter(function (it) { return it.v > 0; }).length, ns = gl.filter(function (it) { return it.v < 0; }).length;
    trees.push({ id: 'grow', title: 'Grown', t: grow.finish(), items: gl, total: grow.v[0], sign: 1, stacks: ng });
    trees.push({ id: 'shrink', title: 'Shrunk', t: shrink.finish(), items: [], total: shrink.v[0], sign: -1, stacks: ns });
    return trees;
  }

  /* ---- Search ---- */
  var fnHit = null;   /* Uint8Array over function keys, or null */
  function compileQuery(q) {
    q = q.trim();
    if (!q) return null;
    var re = null;
    if (q.length > 2 && q[0] === '/' && q[q.length - 1] === '/') {
      try { re = new RegExp(q.slice(1, -1), 'i'); } catch (e) { re = null; }
    }
    var lq = q.toLowerCase();
    var test = re ? function (s) { return re.test(s); } : function (s) { return s.toLowerCase().indexOf(lq) >= 0; };
    var hit = new Uint8Array(fnName.length);
    for (var i = 0; i < fnName.length; i++)
      hit[i] = test(fnName[i]) || (fnFile[i] && test(fnFile[i])) || test(base(modPath[fnMod[i]])) ? 1 : 0;
    return hit;
  }
  /* Frames that match, and the bytes under them (each byte once). */
  function searchStats(t) {
    var order = t.order, under = new Uint8Array(t.n), count = 0, bytesHit = 0;
    for (var i = 1; i < t.n; i++) {
      var n = order[i], pu = under[t.parent[n]];
      if (fnHit[t.fn[n]]) { count++; if (!pu) bytesHit += t.v[n]; under[n] = 1; }
      else under[n] = pu;
    }
    return { count: count, bytes: bytesHit };
  }

  /* ---- Colours ---- */
  function shade(hex, k) {   /* k in [-1, 1]: darker .. lighter */
    var r = parseInt(hex.slice(1, 3), 16), g = parseInt(hex.slice(3, 5), 16), b = parseInt(hex.slice(5, 7), 16);
    var t = k < 0 ? 0 : 255, a = Math.abs(k);
    r = Math.round(r + (t - r) * a); g = Math.round(g + (t - g) * a); b = Math.round(b + (t - b) * a);
    return 'rgb(' + r + ',' + g + ',' + b + ')';
  }
  var fnCol = [];   /* colour by module, per function key */
  function colourOf(t, n, sign) {
    var fn = t.fn[n];
    if (fn < 0) return '#d9dde3';
    if (S.colour === 'kind')
      return shade(KIND_COL[t.domKind(n)] || '#b9b9b9', ((hash(fnName[fn]) % 100) / 100 - 0.5) * 0.25);
    if (S.colour === 'change') {
      var ratio = Math.min(1, t.v[n] / Math.max(1, sign > 0 ? t.nw[n] : t.old[n]));
      if (sign > 0) return t.old[n] === 0 ? '#c8372d' : shade('#e4573d', 0.55 - 0.5 * ratio);
      return t.nw[n] === 0 ? '#2f6fb0' : shade('#5b9bd5', 0.55 - 0.5 * ratio);
    }
    return fnCol[fn] || (fnCol[fn] = shade(modCol[fnMod[fn]] || PALETTE[0], ((hash(fnName[fn]) % 100) / 100 - 0.5) * 0.3));
  }
  var GREY = 'rgba(200,204,210,0.55)';

  /* ---- One flame graph (canvas) ---- */
  function Graph(tree, host) {
    this.tree = tree;
    this.t = tree.t;
    this.focus = 0;
    this.history = [];
    this.sel = -1;
    var wrap = el('div', 'graph');
    if (tree.title) {
      var h = el('h3', 'graph-title ' + tree.id);
      h.textContent = tree.title + ': ' + (tree.total ? (tree.sign > 0 ? '+' : '\u2212') + bytes(tree.total) +
        ' in ' + num(tree.stacks) + ' stack' + (tree.stacks === 1 ? '' : 's') : 'nothing');
      wrap.appendChild(h);
    }
    this.canvas = el('canvas', 'flame');
    this.canvas.tabIndex = 0;
    this.canvas.setAttribute('role', 'img');
    this.canvas.id = 'flame-' + tree.id;
    wrap.appendChild(this.canvas);
    this.empty = el('p', 'empty');
    this.empty.hidden = true;
    wrap.appendChild(this.empty);
    host.appendChild(wrap);
    this.rows = [];
    var self = this;
    this.canvas.addEventListener('mousemove', function (e) { self.hover(e); });
    this.canvas.addEventListener('mouseleave', hideTip);
    this.canvas.addEventListener('click', function (e) {
      var n = self.at(e.clientX, e.clientY);
      if (n >= 0) self.zoom(n);
    });
    this.canvas.addEventListener('keydown', function (e) { self.key(e); });
    this.canvas.addEventListener('blur', function () { if (self.sel >= 0) { self.sel = -1; self.draw(); hideTip(); } });
  }
  Graph.prototype.setFocus = function (n) {
    if (n === this.focus) return;
    this.history.push(this.focus);
    this.focus = n;
    this.sel = -1;
    this.draw(); controls(); table();
  };
  /* A click on the focus zooms out one level; on another frame, into it. */
  Graph.prototype.zoom = function (n) {
    if (n === this.focus) n = this.t.parent[n];
    if (n >= 0) this.setFocus(n);
  };
  Graph.prototype.back = function () {
    if (!this.history.length) return;
    this.focus = this.history.pop();
    this.draw(); controls(); table();
  };
  Graph.prototype.reset = function () { this.setFocus(0); };
  Graph.prototype.draw = function () {
    var t = this.t, f = this.focus, c = this.canvas, sign = this.tree.sign;
    if (!t.v[0]) {
      c.hidden = true;
      this.empty.hidden = false;
      this.empty.textContent = DIFF ? (sign > 0 ? 'Nothing grew.' : 'Nothing shrank.')
        : 'No ' + ({ leaked: 'leaked ', reachable: 'reachable ', live: 'live ', suppressed: 'suppressed ' }[S.view] || '') +
          'blocks' + (S.proc >= 0 ? ' in this process.' : '.');
      this.rows = [];
      this.labels = [];
      return;
    }
    c.hidden = false;
    this.empty.hidden = true;
    var dpr = window.devicePixelRatio || 1;
    var W = Math.max(200, c.parentNode.clientWidth);
    var depth = t.depth[f] + t.maxd[f] + 1;
    var H = depth * ROW + 2;
    if (c.width !== Math.round(W * dpr) || c.height !== Math.round(H * dpr)) {
      c.width = Math.round(W * dpr); c.height = Math.round(H * dpr);
      c.style.width = W + 'px'; c.style.height = H + 'px';
    }
    var ctx = c.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, W, H);
    ctx.font = '12px ' + FONT;
    ctx.textBaseline = 'middle';
    var cw = CHAR_W || (CHAR_W = ctx.measureText('abcdefghijklmnopqrstuvwxyz_ABCDEF').width / 32);
    var rows = this.rows = [];
    for (var d = 0; d < depth; d++) rows.push([]);
    var labels = [], searching = !!fnHit, sel = this.sel, hits = 0;
    function box(n, x, w, context) {
      var y = t.depth[n] * ROW, fn = t.fn[n];
      var hit = searching && fn >= 0 && fnHit[fn];
      var col = hit ? HIT : searching ? GREY : colourOf(t, n, sign);
      if (hit) hits++;
      ctx.fillStyle = col;
      if (context) ctx.globalAlpha = 0.55;
      ctx.fillRect(x, y + 1, Math.max(w - 1, 0.5), ROW - 2);
      ctx.globalAlpha = 1;
      if (n === sel) {
        ctx.strokeStyle = '#111'; ctx.lineWidth = 2;
        ctx.strokeRect(x + 1, y + 2, Math.max(w - 3, 1), ROW - 4);
      }
      rows[t.depth[n]].push(x, w, n);
      if (w >= LABEL_W) {
        var name = t.name(n), max = Math.floor((w - 6) / cw);
        if (max >= 2) {
          ctx.fillStyle = hit ? '#fff' : '#1b1f24';
          ctx.fillText(name.length > max ? name.slice(0, max - 1) + '\u2026' : name, x + 3, y + ROW / 2 + 0.5);
          labels.push(name);
        }
      }
    }
    /* ancestors of the focus: full width, faded */
    var anc = [];
    for (var a = t.parent[f]; a >= 0; a = t.parent[a]) anc.push(a);
    for (var i = anc.length - 1; i >= 0; i--) box(anc[i], 0, W, true);
    /* the focus and what lies below it, breadth first: each row comes out
       in x order, and a box too narrow to draw hides its children */
    var q = [f], fx = t.x0[f], scale = W / t.v[f];
    for (var qi = 0; qi < q.length; qi++) {
      var n = q[qi], x = (t.x0[n] - fx) * scale, w = t.v[n] * scale;
      if (w < MIN_W) continue;
      box(n, x, w, false);
      for (var k = t.ks[n]; k < t.ks[n + 1]; k++) q.push(t.kids[k]);
    }
    this.labels = labels;
    c.dataset.focus = t.name(f);
    c.dataset.focusDepth = String(t.depth[f]);
    c.dataset.boxes = String(rows.reduce(function (s, r) { return s + r.length / 3; }, 0));
    c.dataset.highlighted = String(hits);
    c.setAttribute('aria-label', this.describe());
  };
  /* The text alternative: what the graph shows, widest allocating frames. */
  Graph.prototype.describe = function () {
    var t = this.t, f = this.focus, selfv = new Map();
    this.rows.forEach(function (row) {
      for (var i = 2; i < row.length; i += 3) {
        var n = row[i];
        if (t.self[n] && n) selfv.set(t.fn[n], (selfv.get(t.fn[n]) || 0) + t.self[n]);
      }
    });
    var top = Array.from(selfv.entries()).sort(function (a, b) { return b[1] - a[1]; }).slice(0, 5);
    return (DIFF ? (this.tree.sign > 0 ? 'Growth' : 'Shrinkage') : 'Flame graph') + ' of ' + bytes(t.v[f]) +
      (f ? ' under ' + t.name(f) : '') + '. Allocated most by: ' +
      top.map(function (e) { return fnName[e[0]] + ' ' + bytes(e[1]); }).join(', ') + '.';
  };
  Graph.prototype.at = function (cx, cy) {
    var r = this.canvas.getBoundingClientRect();
    var x = cx - r.left, y = cy - r.top;
    var row = this.rows[Math.floor(y / ROW)];
    if (!row) return -1;
    var lo = 0, hi = row.length / 3 - 1;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1, bx = row[mid * 3], bw = row[mid * 3 + 1];
      if (x < bx) hi = mid - 1;
      else if (x >= bx + bw) lo = mid + 1;
      else return row[mid * 3 + 2];
    }
    return -1;
  };
  Graph.prototype.hover = function (e) {
    var n = this.at(e.clientX, e.clientY);
    if (n < 0) { hideTip(); this.canvas.style.cursor = ''; return; }
    this.canvas.style.cursor = 'pointer';
    showTip(this, n, e.clientX, e.clientY);
  };
  /* Where node n is drawn: [x, w] in canvas pixels, or null. */
  Graph.prototype.rect = function (n) {
    var row = this.rows[this.t.depth[n]] || [];
    for (var i = 0; i < row.length; i += 3) if (row[i + 2] === n) return [row[i], row[i + 1]];
    return null;
  };
  Graph.prototype.key = function (e) {
    var t = this.t, n = this.sel >= 0 ? this.sel : this.focus, next = -1;
    switch (e.key) {
      case 'ArrowUp': next = t.parent[n]; break;
      case 'ArrowDown': next = t.ks[n] < t.ks[n + 1] ? t.kids[t.ks[n]] : -1; break;
      case 'ArrowLeft': case 'ArrowRight':
        var p = t.parent[n];
        if (p >= 0) {
          for (var j = t.ks[p]; j < t.ks[p + 1]; j++) if (t.kids[j] === n) break;
          j += e.key === 'ArrowLeft' ? -1 : 1;
          if (j >= t.ks[p] && j < t.ks[p + 1]) next = t.kids[j];
        }
        break;
      case 'Enter': case ' ':
        if (this.sel >= 0) { e.preventDefault(); this.zoom(this.sel); }
        return;
      default: return;
    }
    e.preventDefault();
    if (next < 0) return;
    this.sel = next;
    this.draw();
    var r = this.rect(next);
    if (!r) { hideTip(); return; }
    var cr = this.canvas.getBoundingClientRect();
    showTip(this, next, cr.left + r[0] + Math.min(r[1] / 2, 40), cr.top + t.depth[next] * ROW + ROW);
  };

  /* ---- Tooltip ---- */
  var tip = $('tip');
  function frameInfo(t, n) {
    if (t.fd[n] < 0) return '';
    var doc = docs[t.fd[n]], f = doc.frames[t.fi[n]], mod = doc.modules[f[1]];
    var loc = f[3] ? f[3] + (f[4] ? ':' + f[4] : '') + (t.lines[n] ? ' (and other lines)' : '') : '';
    return (loc ? '<div class="loc">' + esc(loc) + '</div>' : '') +
      '<div class="mod">' + esc(base(mod)) + ' + ' + esc(f[2]) + '</div>';
  }
  function showTip(g, n, cx, cy) {
    var t = g.t, total = t.v[0], v = t.v[n];
    var h = '<div class="fn">' + esc(t.name(n)) + '</div>' + frameInfo(t, n) + '<table>';
    if (DIFF) {
      h += '<tr><th>' + (g.tree.sign > 0 ? 'Grew' : 'Shrank') + '</th><td>' + bytes(v) + ' (' + num(v) + ' B)</td></tr>' +
        '<tr><th>Blocks</th><td>' + (g.tree.sign > 0 ? '+' : '\u2212') + num(t.b[n]) + '</td></tr>' +
        '<tr><th>Before \u2192 after</th><td>' + bytes(t.old[n]) + ' \u2192 ' + bytes(t.nw[n]) + '</td></tr>';
    } else {
      h += '<tr><th>Bytes</th><td>' + bytes(v) + ' (' + num(v) + ')</td></tr>' +
        '<tr><th>Blocks</th><td>' + num(t.b[n]) + '</td></tr>';
      if (t.self[n] && t.ks[n] < t.ks[n + 1]) h += '<tr><th>Allocated here</th><td>' + bytes(t.self[n]) + '</td></tr>';
      var kv = t.kinds(n), kinds = Object.keys(kv);
      if (kinds.length > 1)
        h += '<tr><th>Kinds</th><td>' + kinds.map(function (k) { return esc(k) + ' ' + bytes(kv[k]); }).join(', ') + '</td></tr>';
    }
    h += '<tr><th>Share</th><td>' + pct(v, total) + ' of ' + (DIFF ? 'the change' : 'the total') +
      (g.focus && g.focus !== n ? ', ' + pct(v, t.v[g.focus]) + ' of the zoomed frame' : '') + '</td></tr></table>';
    tip.innerHTML = h;
    tip.hidden = false;
    var tw = tip.offsetWidth, th = tip.offsetHeight;
    var x = cx + 14, y = cy + 16;
    if (x + tw > window.innerWidth - 8) x = Math.max(8, cx - tw - 14);
    if (y + th > window.innerHeight - 8) y = Math.max(8, cy - th - 12);
    tip.style.left = x + 'px';
    tip.style.top = y + 'px';
  }
  function hideTip() { tip.hidden = true; }

  /* ---- Page state ---- */
  var FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif';
  var CHAR_W = 0;
  var trees = [], graphs = [];
  function main() { return graphs[0]; }

  function rebuild() {
    var t0 = performance.now();
    trees = buildTrees();
    var host = $('flames');
    host.textContent = '';
    graphs = trees.map(function (t) { return new Graph(t, host); });
    var t1 = performance.now();
    applySearch(true);
    graphs.forEach(function (g) { g.draw(); });
    legend();
    controls();
    S.shown = PAGE;
    table();
    api.timings.build = t1 - t0;
    api.timings.render = performance.now() - t1;
  }
  function redraw() {
    graphs.forEach(function (g) { g.draw(); });
  }
  function applySearch(quiet) {
    fnHit = compileQuery(S.query);
    var m = $('match');
    graphs.forEach(function (g) { g.canvas.dataset.matches = '0'; });
    if (!fnHit) { m.textContent = ''; return; }
    var parts = [];
    graphs.forEach(function (g) {
      var s = searchStats(g.t), tot = g.t.v[0];
      g.canvas.dataset.matches = String(s.count);
      g.canvas.dataset.matchedBytes = String(s.bytes);
      if (tot) parts.push((g.tree.title ? g.tree.title + ': ' : '') + num(s.count) + ' frame' + (s.count === 1 ? '' : 's') +
        ', ' + bytes(s.bytes) + ' (' + pct(s.bytes, tot) + ')');
    });
    m.textContent = parts.join(' \u00b7 ') || 'no match';
    if (!quiet) { redraw(); S.shown = PAGE; table(); }
  }

  function controls() {
    var anyHist = graphs.some(function (x) { return x.history.length; });
    var anyZoom = graphs.some(function (x) { return x.focus !== 0; });
    $('back').disabled = !anyHist;
    $('reset').disabled = !anyZoom;
    var cr = $('crumbs');
    cr.textContent = '';
    graphs.forEach(function (gr) {
      if (gr.focus === 0) return;
      var path = [], t = gr.t;
      for (var n = gr.focus; n >= 0; n = t.parent[n]) path.unshift(n);
      if (gr.tree.title) cr.appendChild(el('span', 'crumb-tree', gr.tree.title + ':'));
      path.forEach(function (n, i) {
        if (i) cr.appendChild(el('span', 'sep', '\u203a'));
        var b = el('button', 'crumb', n ? t.name(n) : 'all');
        b.type = 'button';
        if (n === gr.focus) b.setAttribute('aria-current', 'true');
        b.addEventListener('click', function () { gr.setFocus(n); });
        cr.appendChild(b);
      });
    });
  }

  function legend() {
    var lg = $('legend');
    lg.textContent = '';
    var add = function (col, text, title) {
      var s = el('span', 'key');
      var sw = el('i', 'sw');
      sw.style.background = col;
      s.appendChild(sw);
      s.appendChild(document.createTextNode(text));
      if (title) s.title = title;
      lg.appendChild(s);
    };
    if (S.colour === 'kind') {
      var seen = {};
      trees.forEach(function (tr) { for (var k in tr.t.kinds(0)) seen[k] = 1; });
      Object.keys(KIND_COL).forEach(function (k) { if (seen[k]) add(KIND_COL[k], k); });
    } else if (S.colour === 'change') {
      add('#c8372d', 'new stack'); add(shade('#e4573d', 0.3), 'grew');
      add(shade('#5b9bd5', 0.3), 'shrank'); add('#2f6fb0', 'gone');
    } else {
      var mb = new Map();
      var through = new Map();   /* module -> widest frame of it (for modules that allocate nothing) */
      trees.forEach(function (tr) {
        var t = tr.t;
        for (var n = 1; n < t.n; n++) {
          var m = fnMod[t.fn[n]];
          if (t.self[n]) mb.set(m, (mb.get(m) || 0) + t.self[n]);
          if (!(through.get(m) >= t.v[n])) through.set(m, t.v[n]);
        }
      });
      var ms = Array.from(through.keys()).map(function (m) { return [m, mb.get(m) || 0, through.get(m)]; })
        .sort(function (a, b) { return b[1] - a[1] || b[2] - a[2]; });
      ms.slice(0, 8).forEach(function (e) {
        add(modCol[e[0]], base(modPath[e[0]]), modPath[e[0]] + ': allocates ' + bytes(e[1]));
      });
      if (ms.length > 8) lg.appendChild(el('span', 'key more-mods', '+' + (ms.length - 8) + ' more modules'));
    }
    if (fnHit) add(HIT, 'search match');
    lg.appendChild(el('span', 'hint', 'Click a frame to zoom \u00b7 hover for details \u00b7 arrow keys move, Enter zooms, Esc resets'));
  }

  /* ---- Table ---- */
  var COLS;
  function tableCols() {
    var c = [{ id: 'open', label: '', cls: 'c-open' }, { id: 'kind', label: 'Kind', sort: 1, cls: 'c-kind' }];
    if (DIFF) {
      c.push({ id: 'delta', label: '\u0394 Bytes', sort: 1, num: 1 }, { id: 'dblocks', label: '\u0394 Blocks', sort: 1, num: 1 },
             { id: 'before', label: 'Before', sort: 1, num: 1 }, { id: 'after', label: 'After', sort: 1, num: 1 });
    } else {
      c.push({ id: 'bytes', label: 'Bytes', sort: 1, num: 1 }, { id: 'blocks', label: 'Blocks', sort: 1, num: 1 },
             { id: 'share', label: 'Share', num: 1 });
      if (procs.length > 1 && S.proc < 0) c.push({ id: 'procs', label: 'Processes', sort: 1, num: 1 });
    }
    c.push({ id: 'fn', label: 'Allocated from', sort: 1, cls: 'c-fn' }, { id: 'loc', label: 'Location', cls: 'c-loc' });
    return c;
  }
  /* Rows: the items of the main tree merged by kind and stack. */
  var rowsCache = null;
  function tableRows() {
    if (rowsCache && rowsCache.trees === trees) return rowsCache.rows;
    var rows, list = [];
    trees.forEach(function (t) { list = list.concat(t.items); });
    if (DIFF || S.proc >= 0 || procs.length < 2) {
      rows = list.map(function (it) { it.procs = 1; return it; });
    } else {
      var m = new Map();
      rows = [];
      list.forEach(function (it) {
        var fs = it.g[4], key = it.kind + ':';
        for (var i = 0; i < fs.length; i++) key += it.doc.fk[fs[i]] + ',';
        var r = m.get(key);
        if (!r) {
          r = { doc: it.doc, g: it.g, kind: it.kind, v: 0, b: 0, leaf: it.leaf, tree: it.tree, pset: new Set() };
          m.set(key, r); rows.push(r);
        }
        r.v += it.v; r.b += it.b; r.pset.add(it.proc);
      });
      rows.forEach(function (r) { r.procs = r.pset.size; });
    }
    rowsCache = { trees: trees, rows: rows };
    return rows;
  }
  function rowKey(r, id) {
    switch (id) {
      case 'kind': return r.kind;
      case 'bytes': case 'delta': return r.v;
      case 'blocks': case 'dblocks': return r.b;
      case 'before': return r.old;
      case 'after': return r.nw;
      case 'procs': return r.procs;
      case 'fn': return topName(r);
    }
    return 0;
  }
  function topName(r) {
    var fs = r.g[4];
    return fs.length ? fnName[r.doc.fk[fs[0]]] : '(no frames)';
  }
  /* Is row r shown under the zoom of its tree's graph? */
  function underZoom(r) {
    for (var i = 0; i < graphs.length; i++) {
      var g = graphs[i];
      if (g.focus === 0) continue;
      if (r.tree !== g.t) return false;
      for (var m = r.leaf; m >= 0; m = g.t.parent[m]) if (m === g.focus) break;
      if (m < 0) return false;
    }
    return true;
  }
  function rowHit(r) {
    var fs = r.g[4];
    for (var i = 0; i < fs.length; i++) if (fnHit[r.doc.fk[fs[i]]]) return true;
    return false;
  }
  function table() {
    COLS = tableCols();
    var thead = $('thead'), tbody = $('tbody');
    thead.textContent = ''; tbody.textContent = '';
    var tr = el('tr');
    COLS.forEach(function (c) {
      var th = el('th', (c.cls || '') + (c.num ? ' num' : ''));
      th.scope = 'col';
      if (c.sort) {
        var b = el('button', 'sort', c.label);
        b.type = 'button';
        if (S.sort === c.id) { th.setAttribute('aria-sort', S.desc ? 'descending' : 'ascending'); b.textContent += S.desc ? ' \u25be' : ' \u25b4'; }
        b.addEventListener('click', function () {
          if (S.sort === c.id) S.desc = !S.desc; else { S.sort = c.id; S.desc = c.id !== 'fn' && c.id !== 'kind'; }
          table();
        });
        th.appendChild(b);
      } else {
        th.textContent = c.label;
        if (c.id === 'open') th.appendChild(el('span', 'sr', 'Open'));
      }
      tr.appendChild(th);
    });
    thead.appendChild(tr);

    var all = tableRows();
    var zoomed = graphs.filter(function (g) { return g.focus !== 0; });
    var rows = all.filter(function (r) {
      return (!fnHit || rowHit(r)) && (!zoomed.length || underZoom(r));
    });
    var k = S.sort, sgn = S.desc ? -1 : 1;
    rows.sort(function (a, b) {
      var x = rowKey(a, k), y = rowKey(b, k);
      if (DIFF && k === 'delta') { x = Math.abs(x) * (x < 0 ? 0.999999 : 1); y = Math.abs(y) * (y < 0 ? 0.999999 : 1); }
      return (x < y ? -1 : x > y ? 1 : 0) * sgn || (b.v - a.v);
    });
    var total = trees.reduce(function (s, t) { return s + t.total; }, 0);
    var shown = rows.slice(0, S.shown);
    var frag = document.createDocumentFragment();
    shown.forEach(function (r, i) { frag.appendChild(rowEl(r, i, total)); });
    tbody.appendChild(frag);
    if (!rows.length) {
      var etr = el('tr', 'empty-row'), td = el('td', null, all.length ? 'No group matches.' : 'No groups in this view.');
      td.colSpan = COLS.length;
      etr.appendChild(td); tbody.appendChild(etr);
    }
    var more = $('more');
    more.hidden = rows.length <= S.shown;
    more.textContent = 'Show ' + Math.min(PAGE * 5, rows.length - S.shown) + ' more (' + num(rows.length - S.shown) + ' not shown)';
    var note = num(rows.length) + ' group' + (rows.length === 1 ? '' : 's');
    if (rows.length !== all.length) note += ' of ' + num(all.length);
    if (fnHit) note += ' matching \u201c' + S.query.trim() + '\u201d';
    zoomed.forEach(function (g) { note += ' under ' + g.t.name(g.focus); });
    $('groups-note').textContent = note;
    $('table').dataset.rows = String(rows.length);
  }
  function rowEl(r, i, total) {
    var tr = el('tr', 'grp k-' + r.kind);
    var fs = r.g[4], doc = r.doc;
    var f0 = fs.length ? doc.frames[fs[0]] : null;
    COLS.forEach(function (c) {
      var td = el('td', (c.cls || '') + (c.num ? ' num' : ''));
      switch (c.id) {
        case 'open':
          var b = el('button', 'open', '\u25b8');
          b.type = 'button';
          b.setAttribute('aria-expanded', 'false');
          b.setAttribute('aria-label', 'Show the stack of group ' + (i + 1));
          b.addEventListener('click', function (e) { e.stopPropagation(); toggle(tr, r, b); });
          td.appendChild(b);
          break;
        case 'kind': td.appendChild(el('span', 'pill ' + r.kind, r.kind)); break;
        case 'bytes': td.textContent = bytes(r.v); td.title = num(r.v) + ' bytes'; break;
        case 'blocks': td.textContent = num(r.b); break;
        case 'share': td.textContent = pct(r.v, total); break;
        case 'procs': td.textContent = num(r.procs); break;
        case 'delta': td.textContent = sbytes(r.v); td.className += r.v > 0 ? ' up' : r.v < 0 ? ' down' : '';
          td.title = (r.v > 0 ? '+' : '') + num(r.v) + ' bytes'; break;
        case 'dblocks': td.textContent = (r.b > 0 ? '+' : r.b < 0 ? '\u2212' : '') + num(Math.abs(r.b)); break;
        case 'before': td.textContent = r.old ? bytes(r.old) : '\u2014'; break;
        case 'after': td.textContent = r.nw ? bytes(r.nw) : '\u2014'; break;
        case 'fn':
          td.textContent = topName(r);
          if (fs.length > 1) {
            var via = fnName[doc.fk[fs[1]]];
            td.appendChild(el('span', 'via', ' \u2190 ' + via));
            td.title = topName(r) + ', called from ' + via;
          }
          break;
        case 'loc':
          if (f0) td.textContent = f0[3] ? base(f0[3]) + (f0[4] ? ':' + f0[4] : '') : base(doc.modules[f0[1]]) + ' + ' + f0[2];
          if (f0 && f0[3]) td.title = f0[3] + (f0[4] ? ':' + f0[4] : '');
          break;
      }
      tr.appendChild(td);
    });
    tr.addEventListener('click', function () { toggle(tr, r, tr.querySelector('button.open')); });
    return tr;
  }
  function toggle(tr, r, btn) {
    var next = tr.nextSibling;
    if (next && next.classList && next.classList.contains('frames-row')) {
      next.parentNode.removeChild(next);
      btn.setAttribute('aria-expanded', 'false'); btn.textContent = '\u25b8';
      return;
    }
    btn.setAttribute('aria-expanded', 'true'); btn.textContent = '\u25be';
    var fr = el('tr', 'frames-row'), td = el('td');
    td.colSpan = COLS.length;
    var ol = el('ol', 'frames');
    ol.start = 0;
    var doc = r.doc;
    r.g[4].forEach(function (fi) {
      var f = doc.frames[fi], li = el('li');
      var name = fnName[doc.fk[fi]];
      var fnS = el('span', 'f-fn', name);
      if (fnHit && fnHit[doc.fk[fi]]) fnS.className += ' hit';
      li.appendChild(fnS);
      if (f[3]) li.appendChild(el('span', 'f-loc', f[3] + (f[4] ? ':' + f[4] : '')));
      li.appendChild(el('span', 'f-mod', base(doc.modules[f[1]]) + ' + ' + f[2]));
      li.title = doc.modules[f[1]];
      ol.appendChild(li);
    });
    td.appendChild(ol);
    var g = graphs.filter(function (x) { return x.t === r.tree; })[0];
    if (g && r.leaf > 0) {
      var z = el('button', 'zoom-to', 'Zoom the graph to this stack');
      z.type = 'button';
      z.addEventListener('click', function (e) {
        e.stopPropagation();
        g.setFocus(r.leaf);
        g.canvas.scrollIntoView({ block: 'nearest' });
      });
      td.appendChild(z);
    }
    fr.appendChild(td);
    tr.parentNode.insertBefore(fr, tr.nextSibling);
  }

  /* ---- Header ---- */
  function procLabel(p) {
    return 'pid ' + p.pid + ' ' + base(p.exe || '?');
  }
  function header() {
    var meta = $('meta'), tot = $('totals');
    var add = function (k, v, mono) {
      if (v == null || v === '') return;
      meta.appendChild(el('dt', null, k));
      var dd = el('dd', mono ? 'mono' : null, String(v));
      meta.appendChild(dd);
    };
    var newest = docs[docs.length - 1] || {};
    var exe = newest.exe || (newest.procs && newest.procs[0] && newest.procs[0].exe) || '';
    var cmd = newest.command ? newest.command.join(' ') : '';
    var titleProg = cmd ? base(newest.command[0]) : base(exe);
    var what = DIFF ? 'growth' : docs.length > 1 ? docs.length + ' documents'
      : { leaks: 'leak report', dump: 'heap dump', tree: 'process tree' }[newest.type] || 'report';
    if (docs.length > 1 && !DIFF && docs.some(function (d) { return base(d.exe || '') !== base(exe); })) titleProg = 'ratmem';
    $('title').textContent = (titleProg || 'ratmem') + ' \u2014 ' + what;
    document.title = (titleProg || 'ratmem') + ' \u2014 ratmem ' + what;
    var desc = function (d) {
      if (d.type === 'dump') return 'heap dump' + (d.sequence ? ' #' + d.sequence : '');
      if (d.type === 'tree') return 'process tree, ' + (d.procs || []).length + ' process' + ((d.procs || []).length === 1 ? '' : 'es');
      return 'leak report at exit';
    };
    if (cmd) add('Command', cmd, true);
    if (exe && (!cmd || newest.type !== 'tree') && (DIFF || docs.length === 1)) add('Program', exe, true);
    if (DIFF) {
      add('Before', docs[0].file + ' (' + desc(docs[0]) + (docs[0].timestamp_ms ? ', ' + time(docs[0].timestamp_ms) : '') + ', pid ' + docs[0].pid + ')', true);
      add('After', docs[1].file + ' (' + desc(docs[1]) + (docs[1].timestamp_ms ? ', ' + time(docs[1].timestamp_ms) : '') + ', pid ' + docs[1].pid + ')', true);
      if (docs[0].timestamp_ms && docs[1].timestamp_ms)
        add('Between', (function (ms) { return ms < 10000 ? num(ms) + ' ms' : (ms / 1000).toFixed(1) + ' s'; })(docs[1].timestamp_ms - docs[0].timestamp_ms));
    } else {
      docs.forEach(function (d) {
        var pids = d.type === 'tree' ? (d.procs || []).map(function (p) { return p.pid; }).join(', ') : d.pid;
        add(docs.length > 1 ? 'Document' : 'Kind', desc(d) + (docs.length > 1 ? ': ' + d.file + (d.exe ? ' (' + d.exe + ')' : '') : ''));
        if (pids != null) add(d.type === 'tree' ? 'PIDs' : 'PID', pids);
        if (d.timestamp_ms) add('Time', time(d.timestamp_ms));
        else if (d.file_mtime_ms) add('Time', time(d.file_mtime_ms) + ' (when the file was written)');
        if (d.exit) add('Exit', d.exit.signal != null ? 'signal ' + d.exit.signal : 'status ' + d.exit.status);
        if (docs.length === 1) add('File', d.file, true);
      });
    }
    /* the options in effect: the document's, else its processes' (each
       different set once) */
    var optText = function (o) {
      return o && typeof o === 'object' ? Object.keys(o).map(function (k) { return k + '=' + o[k]; }).join(':') : o;
    };
    var opts = optText(newest.options);
    if (opts == null) {
      var seen = [];
      (newest.procs || []).forEach(function (p) { var t = optText(p.options); if (t != null && seen.indexOf(t) < 0) seen.push(t); });
      opts = seen.length ? seen.join('  |  ') : null;
    }
    add('Options', opts === '' ? '(defaults)' : opts, true);
    if (newest.sampled) add('Sampled', 'about one allocation per ' + bytes(newest.sampled) + ' allocated: bytes and blocks are estimates');
    if (newest.report_seconds != null) add('Report took', (newest.report_seconds * 1000).toFixed(1) + ' ms');

    /* totals */
    var chip = function (cls, label, b, n, sub) {
      var c = el('div', 'chip ' + cls);
      c.appendChild(el('span', 'chip-label', label));
      c.appendChild(el('span', 'chip-value', b));
      if (n != null) c.appendChild(el('span', 'chip-sub', n));
      if (sub) c.title = sub;
      tot.appendChild(c);
    };
    /* a sampled run's totals: the groups' estimates, summed */
    var sum = function (d, k) {
      if (!d.sampled) return (d.summary || {})[k];
      var m = /^(.*)_(bytes|blocks)$/.exec(k), t = 0, any = false;
      (d.groups || []).forEach(function (g) {
        if (kindOf(d, g) === m[1]) { any = true; t += m[2] === 'bytes' ? g[1] : g[2]; }
      });
      return any || (d.summary || {})[k] != null ? t : undefined;
    };
    var LEAK_KINDS = [['direct', 'Direct leaks'], ['indirect', 'Indirect leaks'], ['reachable', 'Reachable'], ['suppressed', 'Suppressed']];
    var kindsOf = function (d) {
      if (d.type === 'dump') return [['live', 'Live']];
      return LEAK_KINDS;
    };
    if (DIFF) {
      var o = docs[0], n = docs[1];
      kindsOf(n).forEach(function (k) {
        var ob = sum(o, k[0] + '_bytes'), nb = sum(n, k[0] + '_bytes');
        if (ob == null || nb == null || (!ob && !nb)) return;
        var dk = nb - ob;
        chip(k[0], k[1], sbytes(dk), bytes(ob) + ' \u2192 ' + bytes(nb), num(ob) + ' \u2192 ' + num(nb) + ' bytes');
      });
    } else {
      /* each kind any document counts, summed over the documents */
      var ks = [];
      docs.forEach(function (d) { kindsOf(d).forEach(function (k) { if (!ks.some(function (x) { return x[0] === k[0]; })) ks.push(k); }); });
      ks.forEach(function (k) {
        var b = 0, n2 = 0, any = false;
        docs.forEach(function (d) {
          var x = sum(d, k[0] + '_bytes');
          if (x != null) { any = true; b += x; n2 += sum(d, k[0] + '_blocks') || 0; }
        });
        if (!any || (!b && (k[0] === 'suppressed'))) return;
        chip(k[0], k[1], bytes(b), num(n2) + ' block' + (n2 === 1 ? '' : 's'), num(b) + ' bytes');
      });
    }
    $('foot').textContent = (D.generator || 'ratmem') + (D.generated_ms ? ' \u00b7 written ' + time(D.generated_ms) : '');
  }

  /* ---- Controls ---- */
  function setup() {
    var vs = views();
    /* leaks first (a report without leaks says so), else what there is */
    S.view = DIFF && vs.some(function (v) { return v[0] === 'live'; }) ? 'live' : vs.length ? vs[0][0] : 'all';
    var seg = $('kinds');
    vs.forEach(function (v) {
      var b = el('button', 'seg-b', v[1]);
      b.type = 'button';
      b.dataset.view = v[0];
      b.title = v[2];
      b.setAttribute('aria-pressed', v[0] === S.view ? 'true' : 'false');
      b.addEventListener('click', function () {
        S.view = v[0];
        seg.querySelectorAll('button').forEach(function (x) { x.setAttribute('aria-pressed', x === b ? 'true' : 'false'); });
        rebuild();
      });
      seg.appendChild(b);
    });
    seg.hidden = vs.length < 2;
    if (!DIFF && procs.length > 1) {
      $('proc-wrap').hidden = false;
      var sel = $('proc');
      var o = el('option', null, 'All ' + procs.length + ' processes, merged');
      o.value = '-1';
      sel.appendChild(o);
      procs.forEach(function (p) {
        var b = 0;
        p.doc.groups.forEach(function (g) { if ((g[3] | 0) === p.local && LEAKED[kindOf(p.doc, g)]) b += g[1]; });
        var op = el('option', null, procLabel(p) + (p.ppid ? ' (parent ' + p.ppid + ')' : '') + (b ? ' \u2014 leaks ' + bytes(b) : ''));
        op.value = String(p.id);
        sel.appendChild(op);
      });
      sel.addEventListener('change', function () { S.proc = +sel.value; rebuild(); });
    }
    var colour = $('colour');
    if (DIFF) {
      colour.innerHTML = '<option value="change">by change</option><option value="module">by module</option><option value="kind">by kind</option>';
    }
    colour.value = S.colour;
    colour.addEventListener('change', function () {
      S.colour = colour.value;
      redraw(); legend();
    });
    var search = $('search'), timer = 0;
    search.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(function () { S.query = search.value; applySearch(false); legend(); }, 120);
    });
    search.addEventListener('keydown', function (e) {
      if (e.key === 'Enter') { clearTimeout(timer); S.query = search.value; applySearch(false); legend(); }
      if (e.key === 'Escape') { search.value = ''; S.query = ''; applySearch(false); legend(); search.blur(); }
    });
    $('back').addEventListener('click', function () { graphs.forEach(function (g) { g.back(); }); });
    $('reset').addEventListener('click', function () { graphs.forEach(function (g) { g.reset(); }); });
    $('more').addEventListener('click', function () { S.shown += PAGE * 5; table(); });
    document.addEventListener('keydown', function (e) {
      var t = e.target, typing = t && (t.tagName === 'INPUT' || t.tagName === 'SELECT' || t.tagName === 'TEXTAREA');
      if (e.key === '/' && !typing) { e.preventDefault(); search.focus(); search.select(); }
      else if (e.key === 'Escape' && !typing) { hideTip(); graphs.forEach(function (g) { g.reset(); }); }
      else if (e.key === 'Backspace' && !typing) { e.preventDefault(); graphs.forEach(function (g) { g.back(); }); }
    });
    var pending = false, lastW = 0;
    window.addEventListener('resize', function () {
      if (pending) return;
      pending = true;
      requestAnimationFrame(function () {
        pending = false;
        var w = $('flames').clientWidth;
        if (w !== lastW) { lastW = w; redraw(); }
      });
    });
    window.addEventListener('scroll', hideTip, { passive: true });
  }

  header();
  setup();
  rebuild();
  api.timings.parse = T1 - T0;
  api.timings.script = performance.now() - T0;
  api.timings.total = performance.now();   /* since navigation start */
  Object.defineProperty(api, 'graphs', { get: function () { return graphs; } });
  Object.defineProperty(api, 'labels', {
    get: function () { return graphs.reduce(function (a, g) { return a.concat(g.labels || []); }, []); }
  });
  /* The middle of the widest drawn box named name in graph gi, in page coordinates. */
  api.box = function (name, gi) {
    var g = graphs[gi || 0], best = null;
    g.rows.forEach(function (row, d) {
      for (var i = 0; i < row.length; i += 3)
        if (g.t.name(row[i + 2]) === name && (!best || row[i + 1] > best.w))
          best = { x: row[i], w: row[i + 1], d: d, node: row[i + 2] };
    });
    if (!best) return null;
    var r = g.canvas.getBoundingClientRect();
    return { x: r.left + best.x + Math.min(best.w / 2, 60), y: r.top + best.d * ROW + ROW / 2, w: best.w };
  };
  /* Search as the box does; the number of frames that match. */
  api.search = function (q) {
    $('search').value = q; S.query = q; applySearch(false); legend();
    return +graphs[0].canvas.dataset.matches;
  };
  api.ready = true;
  requestAnimationFrame(function () {
    setTimeout(function () { api.timings.painted = performance.now(); }, 0);
  });
  document.documentElement.dataset.ready = '1';
  $('foot').textContent += ' \u00b7 drawn in ' + Math.round(api.timings.total) + ' ms';
})();

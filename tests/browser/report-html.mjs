// report-html.mjs CONFIG.json - open the pages `ratmem report --format=html`
// wrote (tests/report-html.sh makes them) in headless Chromium and check
// what a person would see.  Prints "ok - ..." / "not ok - ..." lines and
// "N passed, N failed"; exits 1 on any failure.
//
// CONFIG: { tools, chromium, family: {html, json}, tree: {html, json},
//           diff: {html}, big: {html, json}, evil: {html, json}, sampled: {html, json},
//           shot: {html, png[]}, limit_ms }
import { readFileSync, mkdtempSync, rmSync, copyFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const require = createRequire(join(cfg.tools, 'node_modules', 'x.js'));
const { chromium } = require('playwright-core');

let passed = 0, failed = 0;
const ok = (cond, name, extra) => {
  if (cond) { passed++; console.log('ok - ' + name); }
  else { failed++; console.log('not ok - ' + name + (extra ? '\n    ' + String(extra).replace(/\n/g, '\n    ') : '')); }
  return cond;
};

// The function of a group's allocating frame, as the page names it.
const fname = f => f.function || (f.module ? f.module.replace(/.*\//, '') + '+' + f.offset : f.pc);
const leaked = g => g.kind === 'direct' || g.kind === 'indirect';

// Frames the search for q must highlight: distinct (function, module)
// paths from the root whose last frame matches, over the groups shown.
function expectedMatches(groups, q) {
  const set = new Set();
  for (const g of groups) {
    const fr = g.frames.slice().reverse();
    let key = '';
    for (const f of fr) {
      key += fname(f) + '\u0001' + (f.module || '') + '\u0002';
      if (fname(f).toLowerCase().includes(q) || (f.file || '').toLowerCase().includes(q) ||
          (f.module || '').replace(/.*\//, '').toLowerCase().includes(q)) set.add(key);
    }
  }
  return set.size;
}

const profile = mkdtempSync(join(tmpdir(), 'ratmem-chromium-'));
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: cfg.chromium,
  headless: true,
  viewport: { width: 1280, height: 860 },
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync'],
});
const stray = [];
const opened = new Set();
await ctx.route('**/*', route => {
  const u = route.request().url();
  if (u.startsWith('file:') && opened.has(u.replace(/#.*/, ''))) return route.continue();
  stray.push(u);
  return route.abort();
});

// open(file): a page with its console errors and stray requests recorded.
async function open(file) {
  const url = pathToFileURL(file).href;
  opened.add(url);
  const page = await ctx.newPage();
  const errors = [];
  page.on('console', m => { if (m.type() === 'error') errors.push('console: ' + m.text()); });
  page.on('pageerror', e => errors.push('pageerror: ' + e.message));
  const t0 = Date.now();
  await page.goto(url);
  await page.waitForFunction(() => window.ratmemReport && window.ratmemReport.ready && window.ratmemReport.timings.painted,
    null, { timeout: 20000 });
  const wall = Date.now() - t0;
  const timings = await page.evaluate(() => window.ratmemReport.timings);
  return { page, errors, wall, timings };
}
const clean = (p, what) => {
  ok(p.errors.length === 0, what + ': no console errors', p.errors.join('\n'));
};
const labels = page => page.evaluate(() => window.ratmemReport.labels);
const data = (page, sel, key) => page.$eval(sel, (e, k) => e.dataset[k], key);

try {
  // ---- A leak report (leaky family) ----
  {
    const doc = JSON.parse(readFileSync(cfg.family.json, 'utf8'));
    const groups = doc.leaks.filter(leaked);
    const top = groups.slice().sort((a, b) => b.bytes - a.bytes)[0];
    const topFn = fname(top.frames[0]);
    const p = await open(cfg.family.html);
    const { page } = p;
    const ls = await labels(page);
    ok(ls.includes(topFn), `leak report: the flame graph draws the top leak's function (${topFn})`, ls.join(', '));
    const aria = await page.$eval('#flame-main', e => e.getAttribute('aria-label'));
    ok(aria.includes(topFn), 'leak report: the graph\'s text alternative names it', aria);
    const title = await page.textContent('h1');
    ok(/leaky/.test(title), 'leak report: the header names the program', title);
    const meta = await page.textContent('#meta');
    ok(/Options.*stack_depth=48/.test(meta) && /PID\s*\d+/.test(meta) && /Time\s*20\d\d-/.test(meta),
      'leak report: the header shows pid, time and the options it ran with', meta);
    const chips = await page.textContent('#totals');
    ok(chips.includes('Direct leaks') && chips.includes(String(doc.summary.direct_blocks) + ' block'),
      'leak report: the header shows the totals', chips);

    // tooltip: bytes and file:line
    const b = await page.evaluate(n => window.ratmemReport.box(n), topFn);
    await page.mouse.move(b.x, b.y);
    const tip = await page.textContent('#tip');
    const loc = top.frames[0].file ? top.frames[0].file + ':' + top.frames[0].line : '';
    ok(await page.isVisible('#tip') && tip.includes(String(top.bytes)) && (!loc || tip.includes(loc)),
      'leak report: hovering a frame shows bytes and file:line', tip);

    // a click zooms; Back undoes it
    const before = await data(page, '#flame-main', 'focus');
    await page.mouse.click(b.x, b.y);
    const after = await data(page, '#flame-main', 'focus');
    const b2 = await page.evaluate(n => window.ratmemReport.box(n), topFn);
    ok(after === topFn && before !== topFn && b2.w > b.w * 1.05,
      `leak report: a click on ${topFn} zooms into it (focus ${before} -> ${after}, ${b.w.toFixed(0)} -> ${b2.w.toFixed(0)} px wide)`);
    const crumbs = await page.textContent('#crumbs');
    ok(crumbs.includes('main') && crumbs.includes(topFn) && await page.isEnabled('#reset'),
      'leak report: the zoom shows in the crumbs, Reset is on', crumbs);
    await page.click('#back');
    ok(await data(page, '#flame-main', 'focus') === before, 'leak report: Back returns to the whole graph');

    // search highlights the matching frames
    const q = 'leak_';
    await page.fill('#search', q);
    await page.press('#search', 'Enter');
    const want = expectedMatches(groups, q);
    const got = +await data(page, '#flame-main', 'matches');
    const drawn = +await data(page, '#flame-main', 'highlighted');
    ok(want > 0 && got === want && drawn === want,
      `leak report: searching "${q}" highlights ${want} frames (page: ${got} matched, ${drawn} drawn highlighted)`);
    const note = await page.textContent('#match');
    ok(note.includes('100'), 'leak report: the search shows the matched share', note);
    const rows = +await data(page, '#table', 'rows');
    const wantRows = groups.filter(g => g.frames.some(f => fname(f).toLowerCase().includes(q))).length;
    ok(rows === wantRows, `leak report: the table keeps the ${wantRows} matching groups (${rows})`);
    await page.fill('#search', '');
    await page.press('#search', 'Enter');

    // the table: a row opens to its frames with file:line
    await page.click('#tbody tr.grp');
    const frames = await page.textContent('#tbody .frames');
    ok(frames.includes(topFn) && (!loc || frames.includes(loc)), 'leak report: a table row opens to its frames with file:line', frames);
    // sortable by blocks and bytes
    await page.click('th button:text("Blocks")');
    const sorted = await page.$eval('#thead', e => e.querySelector('[aria-sort]').textContent);
    ok(/Blocks/.test(sorted), 'leak report: the table sorts by blocks', sorted);
    // the reachable switch
    if (doc.leaks.some(g => g.kind === 'reachable')) {
      await page.click('#kinds button[data-view="reachable"]');
      const r = doc.leaks.filter(g => g.kind === 'reachable').sort((a, b) => b.bytes - a.bytes)[0];
      const lr = await labels(page);
      ok(lr.includes(fname(r.frames[0])) && !lr.includes(topFn), 'leak report: the Reachable switch shows reachable blocks', lr.join(', '));
    }
    clean(p, 'leak report');
    await page.close();
  }

  // ---- A process-tree document: one tree per process or merged ----
  {
    const doc = JSON.parse(readFileSync(cfg.tree.json, 'utf8'));
    const tops = doc.processes.map(pr => {
      const g = pr.report ? pr.report.leaks.filter(leaked).sort((a, b) => b.bytes - a.bytes)[0] : null;
      return g ? fname(g.frames[0]) : null;
    });
    const p = await open(cfg.tree.html);
    const { page } = p;
    const opts = await page.$$eval('#proc option', os => os.map(o => o.textContent));
    ok(opts.length === doc.processes.length + 1, `tree: a process menu (merged + ${doc.processes.length})`, opts.join(' | '));
    const merged = await labels(page);
    const named = tops.filter(Boolean);
    let each = true;
    for (let i = 0; i < tops.length; i++) {
      await page.selectOption('#proc', String(i));
      const ls = await labels(page);
      const empty = await page.isVisible('#flames .empty');
      each = each && tops.every((t, j) => !t || (j === i) === ls.includes(t)) && (tops[i] !== null || empty);
    }
    ok(named.length >= 2 && named.every(t => merged.includes(t)) && each,
      `tree: the merged graph holds ${named.join(' and ')}; each process only its own`);
    clean(p, 'tree');
    await page.close();
  }

  // ---- --base OLD NEW: growth ----
  {
    const p = await open(cfg.diff.html);
    const { page } = p;
    const grow = await page.evaluate(() => { const g = window.ratmemReport.graphs; return { n: g.length, labels: g[0].labels, total: g[0].t.v[0] }; });
    ok(grow.n === 2 && grow.labels.includes(cfg.diff.grows) && !grow.labels.includes(cfg.diff.stable),
      `diff: the grown graph holds ${cfg.diff.grows}, not ${cfg.diff.stable}; shrinking stacks apart`, JSON.stringify(grow));
    const first = await page.textContent('#tbody tr.grp');
    ok(first.includes(cfg.diff.grows) && first.includes('+'), 'diff: the table leads with the growth', first);
    clean(p, 'diff');
    await page.close();
  }

  // ---- A sampled run: estimates ----
  {
    const doc = JSON.parse(readFileSync(cfg.sampled.json, 'utf8'));
    const direct = doc.leaks.filter(g => g.kind === 'direct');
    const est = direct.reduce((s, g) => s + (g.estimated_bytes ?? g.bytes), 0);
    const p = await open(cfg.sampled.html);
    const { page } = p;
    const meta = await page.textContent('#meta');
    const chip = await page.$eval('#totals .chip.direct', e => e.title);
    const root = await page.evaluate(() => window.ratmemReport.graphs[0].t.v[0]);
    ok(doc.summary.sampled > 0 && est > 0 && /Sampled/.test(meta) && chip === est.toLocaleString('en-US') + ' bytes' && root >= est,
      `sampled report: the header says so and shows the estimate (${est} bytes; ${doc.summary.direct_bytes} sampled)`,
      [meta, chip, root].join('\n'));
    clean(p, 'sampled report');
    await page.close();
  }

  // ---- Names with markup are text ----
  {
    const doc = JSON.parse(readFileSync(cfg.evil.json, 'utf8'));
    const names = doc.leaks[0].frames.map(fname);
    const p = await open(cfg.evil.html);
    const { page } = p;
    let dialogs = 0;
    page.on('dialog', d => { dialogs++; d.dismiss(); });
    const ls = await labels(page);
    const b = await page.evaluate(n => window.ratmemReport.box(n), names[0]);
    await page.mouse.move(b.x, b.y);
    const tip = await page.textContent('#tip');
    await page.click('#tbody tr.grp');
    const frames = await page.textContent('#tbody .frames');
    const scripts = await page.$$eval('script', s => s.length);
    ok(names.every(n => ls.includes(n)) && tip.includes(names[0]) && tip.includes('a<b>&c.c:3') &&
       frames.includes(names[1]) && scripts === 2 && dialogs === 0 && await page.textContent('h1') === 'a"b<c> \u2014 leak report',
      'names holding markup are drawn and listed as text, none runs', [ls.join(' | '), tip, frames].join('\n'));
    clean(p, 'markup names');
    await page.close();
  }

  // ---- The large dump: loads within the limit ----
  {
    const doc = JSON.parse(readFileSync(cfg.big.json, 'utf8'));
    const sums = new Map();
    for (const g of doc.leaks) { const f = fname(g.frames[0]); sums.set(f, (sums.get(f) || 0) + g.bytes); }
    const topFn = [...sums.entries()].sort((a, b) => b[1] - a[1])[0][0];
    const times = [];
    let best = null;
    for (let i = 0; i < 3; i++) {
      const p = await open(cfg.big.html);
      times.push(Math.round(p.timings.painted));
      if (!best || p.timings.painted < best.timings.painted) { if (best) await best.page.close(); best = p; } else await p.page.close();
      if (p.timings.painted < cfg.limit_ms / 2) break;
    }
    const t = best.timings;
    console.log(`# large dump (${doc.leaks.length} stacks, ${(readFileSync(cfg.big.json).length / 1e6).toFixed(1)} MB JSON): ` +
      `painted ${Math.round(t.painted)} ms after navigation (script ${Math.round(t.script)}: parse ${Math.round(t.parse)}, ` +
      `build ${Math.round(t.build)}, draw ${Math.round(t.render)}); loads ${times.join(', ')} ms`);
    ok(t.painted < cfg.limit_ms, `large dump: drawn in ${Math.round(t.painted)} ms (< ${cfg.limit_ms} ms; best of ${times.join(', ')})`);
    const { page } = best;
    ok((await labels(page)).length > 0 && (await page.$eval('#flame-main', e => e.getAttribute('aria-label'))).includes(topFn),
      `large dump: the graph names the largest allocator (${topFn})`);
    const rows = await page.$$eval('#tbody tr.grp', r => r.length);
    ok(rows === 100 && await page.isVisible('#more'), `large dump: the table shows the first 100 of ${doc.leaks.length} groups`);
    await page.click('th button:text("Blocks")');
    const firstBlocks = await page.$eval('#tbody tr.grp', r => +r.children[3].textContent.replace(/,/g, ''));
    const maxBlocks = Math.max(...doc.leaks.map(g => g.blocks));
    ok(firstBlocks === maxBlocks, `large dump: sorted by blocks, the first row has the most (${firstBlocks})`);
    const t0 = Date.now();
    const n = await page.evaluate(() => window.ratmemReport.search('PyDict_'));
    ok(n > 0, `large dump: a search over ${doc.leaks.length} stacks (${n} frames, ${Date.now() - t0} ms)`);
    clean(best, 'large dump');
    await page.close();
  }

  // ---- The screenshot the README shows ----
  {
    const p = await open(cfg.shot.html);
    const { page } = p;
    const name = await page.evaluate(() => {
      const g = window.ratmemReport.graphs[0], t = g.t, rows = g.rows;
      // a wide frame a few levels down, to show a tooltip
      for (let d = 6; d < rows.length; d++)
        for (let i = 0; i < rows[d].length; i += 3)
          if (rows[d][i + 1] > 120 && t.ks[rows[d][i + 2]] < t.ks[rows[d][i + 2] + 1]) return t.name(rows[d][i + 2]);
      return null;
    });
    if (name) {
      const b = await page.evaluate(n => window.ratmemReport.box(n), name);
      await page.mouse.move(b.x, b.y);
    }
    await page.screenshot({ path: cfg.shot.png[0] });
    for (const extra of cfg.shot.png.slice(1)) copyFileSync(cfg.shot.png[0], extra);
    ok(readFileSync(cfg.shot.png[0]).length > 10000, 'screenshot written: ' + cfg.shot.png.join(', '));
    clean(p, 'screenshot page');
    await page.close();
  }

  ok(stray.length === 0, 'no network requests: nothing but the report files was loaded', stray.join('\n'));
} catch (e) {
  ok(false, 'the browser test ran to the end', e.stack);
} finally {
  await ctx.close();
  rmSync(profile, { recursive: true, force: true });
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);

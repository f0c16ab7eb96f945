// bigdump.mjs OUT [STACKS] - write a synthetic heap dump shaped like a python3
// dump under the shim: STACKS (default 13000) distinct stacks of 5 to 25
// frames through libc, libpython and a dozen other modules, with pcs,
// offsets, files and lines, in the shim's own JSON layout (one frame a line),
// about 30 MB.  Deterministic: the same file every time.
import { createWriteStream } from 'node:fs';

const out = process.argv[2];
const STACKS = +(process.argv[3] || 13000);
if (!out) { console.error('usage: bigdump.mjs OUT [STACKS]'); process.exit(2); }

let seed = 0x2545f491;
const rnd = () => { seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5; return (seed >>> 0) / 4294967296; };
const pick = a => a[Math.floor(rnd() * a.length)];

const MODS = [
  ['/usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0', 'Objects/', ['_PyObject_', 'Py', '_PyEval_', 'PyDict_', 'PyList_', 'PyUnicode_', '_PyType_', 'PyTuple_', '_PyImport_', 'PyCode_'], 0.40],
  ['/usr/lib/x86_64-linux-gnu/libc.so.6', 'libc/', ['__libc_', '_IO_', '__GI_', 'str', '__nss_'], 0.06],
  ['/usr/bin/python3.11', 'Modules/', ['main_', 'pymain_', 'Py_'], 0.04],
  ['/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30', 'libstdc++-v3/src/', ['std::__cxx11::basic_string<char>::', 'std::vector<int>::', 'operator_', 'std::locale::'], 0.08],
  ['/usr/lib/x86_64-linux-gnu/libcrypto.so.3', 'crypto/', ['CRYPTO_', 'EVP_', 'OPENSSL_', 'BN_', 'ASN1_'], 0.07],
  ['/usr/lib/x86_64-linux-gnu/libssl.so.3', 'ssl/', ['SSL_', 'ssl3_', 'tls_'], 0.04],
  ['/usr/lib/x86_64-linux-gnu/libsqlite3.so.0.8.6', 'sqlite3.c', ['sqlite3', 'sqlite3Vdbe', 'sqlite3Btree', 'sqlite3Pager'], 0.08],
  ['/usr/lib/x86_64-linux-gnu/libz.so.1.2.13', 'zlib/', ['inflate', 'deflate', 'zcalloc_'], 0.03],
  ['/usr/lib/x86_64-linux-gnu/libexpat.so.1.8.10', 'lib/xmlparse.c', ['XML_', 'doContent_', 'poolGrow_'], 0.04],
  ['/usr/lib/x86_64-linux-gnu/libffi.so.8.1.2', 'src/x86/', ['ffi_call_', 'ffi_prep_'], 0.02],
  ['/usr/lib/python3.11/lib-dynload/_ssl.cpython-311-x86_64-linux-gnu.so', 'Modules/_ssl.c', ['_ssl__SSLSocket_', 'newPySSLSocket_', '_ssl_'], 0.06],
  ['/usr/lib/python3.11/lib-dynload/_json.cpython-311-x86_64-linux-gnu.so', 'Modules/_json.c', ['scanstring_', 'encoder_', '_parse_'], 0.05],
  ['/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2', 'elf/', ['_dl_', 'dl_open_'], 0.03],
];
const WORDS = ['alloc', 'new', 'resize', 'insert', 'lookup', 'call', 'eval', 'build', 'copy', 'init', 'load',
  'parse', 'read', 'write', 'grow', 'append', 'decode', 'encode', 'hash', 'merge', 'split', 'scan', 'emit',
  'fetch', 'step', 'prepare', 'finish', 'update', 'create', 'dispatch', 'vectorcall', 'getattr', 'setitem'];
const NOUNS = ['object', 'keys', 'entry', 'buffer', 'node', 'frame', 'table', 'cache', 'string', 'list', 'dict',
  'tuple', 'state', 'module', 'record', 'page', 'cursor', 'chunk', 'block', 'context', 'slot', 'type'];

// Functions: [name, module, file, line, offset]
const fns = [];
const cum = [];
let acc = 0;
MODS.forEach((m, mi) => { acc += m[3]; cum.push([acc, mi]); });
const modOf = () => { const r = rnd() * acc; return cum.find(c => r < c[0])[1]; };
const byMod = MODS.map(() => []);
const names = new Set();
while (fns.length < 4000) {
  const mi = modOf(), m = MODS[mi];
  const name = pick(m[2]) + pick(WORDS) + (rnd() < 0.6 ? '_' + pick(NOUNS) : '') + (rnd() < 0.2 ? String(Math.floor(rnd() * 9)) : '');
  if (names.has(name)) continue;
  names.add(name);
  const file = m[1].endsWith('.c') ? m[1] : m[1] + name.replace(/[^a-z]/gi, '').slice(0, 10).toLowerCase() + '.c';
  const f = [name, mi, mi === 1 ? null : file, 20 + Math.floor(rnd() * 3000), 0x1000 + Math.floor(rnd() * 0x300000)];
  fns.push(f);
  byMod[mi].push(fns.length - 1);
}
// Each function calls a few others (more often in its own module): stacks share prefixes.
const callees = fns.map((f) => {
  const n = 2 + Math.floor(rnd() * 5), c = [];
  for (let i = 0; i < n; i++) c.push(rnd() < 0.6 && byMod[f[1]].length ? pick(byMod[f[1]]) : Math.floor(rnd() * fns.length));
  return c;
});
const ROOT = [['_start', 2, null, 0, 0x1c0], ['__libc_start_main', 1, null, 0, 0x27305], ['__libc_start_call_main', 1, null, 0, 0x2724a],
  ['main', 2, 'Programs/python.c', 15, 0x1171], ['Py_BytesMain', 0, 'Modules/main.c', 734, 0x2e4f1], ['Py_RunMain', 0, 'Modules/main.c', 680, 0x2e3a2]];
const ALLOC = [['_PyObject_Malloc', 0, 'Objects/obmalloc.c', 2003, 0x1af898], ['PyMem_Malloc', 0, 'Objects/obmalloc.c', 598, 0x1af120],
  ['operator new(unsigned long)', 3, null, 0, 0xaa1bc], ['CRYPTO_zalloc', 4, 'crypto/mem.c', 197, 0x1a3f2], ['sqlite3MallocZero', 6, 'sqlite3.c', 29120, 0x2c1b0]];

const ws = createWriteStream(out);
const hex = n => '0x' + n.toString(16);
const frame = (f, base) => {
  const m = MODS[f[1]][0];
  let s = '        { "pc": "' + hex(base[f[1]] + f[4]) + '", "function": ' + JSON.stringify(f[0]) + ', "module": "' + m + '", "offset": "' + hex(f[4]) + '"';
  if (f[2]) s += ', "file": ' + JSON.stringify(f[2]) + ', "line": ' + f[3];
  return s + ' }';
};
const bases = MODS.map((_, i) => 0x7f0000000000 + i * 0x10000000);
const groups = [];
const seen = new Set();
let live = 0, blocks = 0;
while (groups.length < STACKS) {
  const depth = 5 + Math.floor(Math.pow(rnd(), 2.8) * 21);
  const st = ROOT.slice(0, 4 + Math.floor(rnd() * 3));
  let cur = Math.floor(Math.pow(rnd(), 2) * 200);   // entry points, some busier
  while (st.length < depth - 1) { st.push(fns[cur]); const c = callees[cur]; cur = c[Math.floor(Math.pow(rnd(), 1.7) * c.length)]; }
  st.push(pick(ALLOC));
  const key = st.map(f => f[0]).join(';');
  if (seen.has(key)) continue;
  seen.add(key);
  const b = 1 + Math.floor(Math.pow(rnd(), 3) * 2000);
  const by = b * 8 * (1 + Math.floor(Math.pow(rnd(), 6) * 256));
  live += by; blocks += b;
  groups.push([by, b, st.reverse()]);
}
groups.sort((a, b) => b[0] - a[0]);
ws.write('{\n  "ratmem_report": 1,\n  "type": "dump",\n  "pid": 31337,\n  "exe": "/usr/bin/python3.11",\n  "summary": {\n' +
  '    "sequence": 1, "timestamp_ms": 1796190000000,\n    "live_bytes": ' + live + ', "live_blocks": ' + blocks +
  ', "untracked_blocks": 0, "invalid_frees": 0,\n    "distinct_stacks": ' + groups.length + ', "tracker_bytes": 61943808, "tracker_peak_bytes": 75943808\n  },\n  "leaks": [');
groups.forEach((g, i) => {
  ws.write((i ? ',\n' : '\n') + '    { "kind": "live", "bytes": ' + g[0] + ', "blocks": ' + g[1] + ',\n      "frames": [\n' +
    g[2].map(f => frame(f, bases)).join(',\n') + ' ] }');
});
ws.write('\n  ]\n}\n');
ws.end();

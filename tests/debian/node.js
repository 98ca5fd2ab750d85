// Node.js: V8 compiles hot loops to riscv64 code and flushes it (riscv_flush_icache, fence.i);
// JSON, a Promise chain with a timer, fs and fs.promises, child_process, http over 127.0.0.1, and
// a worker thread whose own V8 isolate compiles a hot loop while the main thread waits.
const fs = require('fs'), cp = require('child_process'), http = require('http'), os = require('os'), path = require('path');
const { Worker, isMainThread, parentPort } = require('worker_threads');
if (!isMainThread) {
  let s = 0;
  for (let i = 0; i < 2e6; i++) s = (s + i * 3) % 1000003;
  parentPort.postMessage(s);
  return;
}
function worker() {
  new Worker(__filename).on('message', s => console.log('worker', s));
}
function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
let h = 0;
for (let i = 0; i < 3e6; i++) h = (h * 31 + (i ^ (i >>> 3))) | 0;
console.log('hot', fib(25), h, [5, 3, 9, 1].sort((a, b) => a - b).join());
const obj = JSON.parse(JSON.stringify({ a: [1, 2.5, 'x'], b: { c: null } }));
console.log('json', JSON.stringify(obj), Object.keys(obj));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mimic-node-'));
fs.writeFileSync(path.join(dir, 'f.txt'), 'line1\nline2\n');
console.log('fs', fs.readFileSync(path.join(dir, 'f.txt'), 'utf8').split('\n').length, fs.statSync(path.join(dir, 'f.txt')).size);
fs.rmSync(dir, { recursive: true });
Promise.resolve(1)
  .then(x => x + 1)
  .then(x => new Promise(r => setTimeout(() => r(x * 10), 20)))
  .then(x => { console.log('promise', x); return fs.promises.readFile(__filename, 'utf8'); })
  .then(src => {
    console.log('fs.promises', src.includes('Promise.resolve(1)'));
    const r = cp.spawnSync('/usr/bin/sh', ['-c', 'echo $((6*7)); exit 3']);
    console.log('spawnSync', r.stdout.toString().trim(), r.status);
    return new Promise(res => cp.execFile(process.execPath, ['-e', 'console.log(process.argv.length)'], (e, out) => res(out)));
  })
  .then(out => {
    console.log('execFile', out.trim());
    const srv = http.createServer((req, res) => res.end('hi ' + req.url));
    srv.listen(0, '127.0.0.1', () => {
      http.get({ host: '127.0.0.1', port: srv.address().port, path: '/x?y=1' }, res => {
        let body = '';
        res.on('data', d => body += d);
        res.on('end', () => { console.log('http', res.statusCode, body); srv.close(); worker(); });
      });
    });
  });

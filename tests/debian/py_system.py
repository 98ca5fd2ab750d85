# Python's standard library on the system calls it is built on: threads, selectors over a
# socketpair, SIGALRM from setitimer and alarm, tempfile, a file map and a shared anonymous map
# written by a forked child, json and hashlib.
import hashlib, json, mmap, os, queue, selectors, signal, socket, tempfile, threading, time

q = queue.Queue()
ts = [threading.Thread(target=lambda i=i: q.put(sum(range(i * 1000)))) for i in range(8)]
[t.start() for t in ts]
[t.join() for t in ts]
print('threads', sorted(q.get() for _ in ts))

a, b = socket.socketpair()
sel = selectors.DefaultSelector()
sel.register(b, selectors.EVENT_READ)
a.send(b'sel')
print('selectors', [k.fileobj.recv(8) for k, _ in sel.select(1)])

got = []
signal.signal(signal.SIGALRM, lambda s, f: got.append(s))
signal.setitimer(signal.ITIMER_REAL, 0.05)
time.sleep(1)
print('setitimer', got)
signal.alarm(1)
signal.pause()
print('alarm', got)

with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, 'f')
    with open(path, 'wb') as f:
        f.write(b'0123456789' * 500)
    with open(path, 'r+b') as f:
        m = mmap.mmap(f.fileno(), 0)
        m[0:4] = b'ABCD'
        m.flush()
        print('file map', m[:12], len(m))
        m.close()
    print('file', open(path, 'rb').read(6))

shared = mmap.mmap(-1, 4096)
pid = os.fork()
if pid == 0:
    shared[0:5] = b'child'
    os._exit(7)
_, st = os.waitpid(pid, 0)
print('shared map', shared[0:5], os.waitstatus_to_exitcode(st))

print('json', json.loads(json.dumps({'k': [1, 2.5, None, 'ü']})))
print('hashlib', hashlib.md5(b'mimic').hexdigest(), hashlib.sha3_256(b'').hexdigest()[:16])

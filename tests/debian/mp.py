# multiprocessing with each start method named on the command line: a Pool map, a Queue, a
# Lock and a shared Value (semaphores in /dev/shm, pipes, and for forkserver SCM_RIGHTS).
import multiprocessing as mp, sys
def sq(x): return x * x
def put(q, v): q.put(v * 10)
if __name__ == '__main__':
    for method in sys.argv[1:]:
        ctx = mp.get_context(method)
        with ctx.Pool(3) as pool:
            r = pool.map(sq, range(10))
        q = ctx.Queue(); lock = ctx.Lock(); v = ctx.Value('i', 5)
        p = ctx.Process(target=put, args=(q, 4)); p.start(); got = q.get(); p.join()
        with lock: v.value += 1
        print(method, r, got, p.exitcode, v.value)

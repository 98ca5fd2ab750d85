# Python asyncio: a TCP echo server and five clients over 127.0.0.1 in one event loop,
# asyncio.sleep, and a subprocess whose output is read through the loop.
import asyncio, sys
async def handle(r, w):
    data = await r.readline()
    w.write(data.upper()); await w.drain(); w.close(); await w.wait_closed()
async def main():
    srv = await asyncio.start_server(handle, '127.0.0.1', 0)
    port = srv.sockets[0].getsockname()[1]
    async def client(i):
        r, w = await asyncio.open_connection('127.0.0.1', port)
        w.write(b'hello %d\n' % i); await w.drain()
        line = await r.readline(); w.close(); await w.wait_closed()
        return line
    print(await asyncio.gather(*(client(i) for i in range(5))))
    await asyncio.sleep(0.05)
    p = await asyncio.create_subprocess_exec(sys.executable, '-c', 'print(6 * 7)', stdout=asyncio.subprocess.PIPE)
    out, _ = await p.communicate()
    print(out, p.returncode)
    srv.close(); await srv.wait_closed()
asyncio.run(main())

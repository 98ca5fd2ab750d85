# A Go program on the network: gron (Go's net/http, goroutines, the netpoller on epoll) fetches
# JSON over 127.0.0.1 from Python's http.server, which runs in the background on a port the
# kernel picks, then turns it back into JSON through a pipe.
dir=$(mktemp -d)
cd "$dir"
printf '{"name":"mimic","tags":["riscv","x86"],"n":{"a":1.5}}' > data.json
/usr/bin/python3.13 -c '
import http.server, os, socketserver
class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a): pass
s = socketserver.TCPServer(("127.0.0.1", 0), Quiet)
open("port.tmp", "w").write(str(s.server_address[1]))
os.rename("port.tmp", "port")
s.serve_forever()' &
server=$!
trap 'kill $server; wait $server; cd /; rm -r "$dir"' EXIT
while [ ! -e port ]; do sleep 0.1; done
/usr/bin/gron "http://127.0.0.1:$(cat port)/data.json"
/usr/bin/gron "http://127.0.0.1:$(cat port)/data.json" | /usr/bin/gron --ungron

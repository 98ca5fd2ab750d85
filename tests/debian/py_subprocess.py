# subprocess: Popen with three pipes and communicate, run through a shell pipeline.
import subprocess, sys

p = subprocess.Popen([sys.executable, '-c', 'import sys; d = sys.stdin.read(); sys.stdout.write(d[::-1]); sys.stderr.write("err"); sys.exit(3)'],
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
out, err = p.communicate(b'abc\n')
print('popen', out, err, p.returncode)
print('run', subprocess.run(['/usr/bin/sh', '-c', 'echo $((6*7)) | /usr/bin/tr 4 X'], capture_output=True).stdout)

# Ctrl-C (gdb gets SIGINT) stops a running guest; kill ends it.
# args: spin
# status: 137
# qemu: no, qemu-riscv64 7.2 does not stop the guest at gdb's interrupt in user mode (the script times out)
shell (sleep 1; kill -INT $PPID) &
continue
# expect: Program received signal SIGINT, Interrupt.
p sink > 0
# expect: = 1
kill
# expect: [Inferior 1 (process
# expect: killed]

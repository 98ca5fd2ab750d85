# Ctrl-C while the only thread is blocked in a system call (pause) stops it there.
# args: wait
# status: 137
# qemu: no, qemu-riscv64 7.2 does not stop the guest at gdb's interrupt in user mode (the script times out)
shell (sleep 1; kill -INT $PPID) &
continue
# expect: Program received signal SIGINT, Interrupt.
bt
# expect: in pause ()
# expect: in main (argc=2,
kill
# expect: [Inferior 1 (process
# expect: killed]

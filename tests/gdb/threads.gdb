# Every guest thread is a gdb thread: info threads, thread N, a breakpoint in each.
# args: threads
# status: 3
# qemu: no, qemu-riscv64 7.2 drops the connection at `info threads` while threads run
break mark
continue
# expect: hit Breakpoint 1, mark (id=
info threads
# expect: 1    Thread
# expect: 2    Thread
# expect: 3    Thread
thread 1
# expect: [Switching to thread 1
bt
# Where main is when a worker stops everyone is up to the scheduler: still starting the
# workers (frame #0 is main) or in pthread_join (main is a caller's frame): main either way.
# expect: main (argc=2,
continue
# expect: hit Breakpoint 1, mark (id=
p sink
delete
continue
# expect: exited with code 03]

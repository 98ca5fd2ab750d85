# A dynamic program: the auxv and the exec file let gdb find ld.so and libc in the sysroot.
# args: -
# status: 3
# binary: gdbtarget-dyn
break peek
continue
# expect: Breakpoint 1, peek () at src/gdbtarget.c:30
info sharedlibrary
# expect: /lib/ld-linux-riscv64-lp64d.so.1
# expect: /lib/libc.so.6
bt
# expect: #1  0x
# expect: in main (argc=1,
break printf
continue
# expect: in printf () from
delete
continue
# expect: exited with code 03]

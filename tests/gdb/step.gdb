# Single-stepping by instruction and by line, and a hardware breakpoint.
# args: -
# status: 3
hbreak bump
# expect: Hardware assisted breakpoint 1 at
continue
# expect: Breakpoint 1, bump (n=5) at src/gdbtarget.c:26
p $pc
# expect: <bump+
stepi
stepi
stepi
p $pc
# expect: <bump+
next
# expect: 27	}
step
step
# expect: main (argc=1,
step
# expect: Breakpoint 1, bump (n=7) at src/gdbtarget.c:26
delete
continue
# expect: exited with code 03]

# Detach: the guest runs on to its end without gdb.
# args: -
# status: 3
break bump
continue
# expect: Breakpoint 1, bump (n=5)
detach
# expect: [Inferior 1 (process
# expect: detached]

# `signal 0` suppresses a guest signal: the store faults again; a jump past it goes on.
# args: segv
# status: 3
continue
# expect: Program received signal SIGSEGV, Segmentation fault.
signal 0
# expect: Program received signal SIGSEGV, Segmentation fault.
jump 67
# expect: exited with code 03]

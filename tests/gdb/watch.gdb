# Watchpoints: write, read and access.
# args: -
# status: 3
# qemu: no, qemu-riscv64 7.2 cannot insert watchpoints in user mode (Z2 to Z4 refused)
watch counter
# expect: Hardware watchpoint 1: counter
continue
# expect: Old value = 0
# expect: New value = 5
# expect: bump (n=5)
continue
# expect: Old value = 5
# expect: New value = 12
delete
rwatch counter
# expect: Hardware read watchpoint 2: counter
continue
# expect: Value = 12
# expect: peek () at src/gdbtarget.c:
delete
awatch sink
# expect: Hardware access (read/write) watchpoint 3: sink
continue
# expect: Old value = 0
# expect: New value = 12
# expect: main (argc=1,
delete
continue
# expect: exited with code 03]

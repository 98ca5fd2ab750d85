# The registers, FP included, read and written; memory written; finish.
# args: -
# status: 3
info registers sp pc
# expect: pc             0x
# expect: <_start>
break scale
# expect: Breakpoint 1 at
continue
# expect: Breakpoint 1, scale (x=2) at src/gdbtarget.c:22
p $fa0
# expect: = {float = 0, double = 2}
p x
# expect: = 2
info all-registers
# expect: fa0            {float = 0, double = 2}
# expect: fflags
# expect: frm
# expect: fcsr
p $t0 = 77
p $t0
# expect: = 77
set var ratio = 2.5
set var x = 4
finish
# expect: Value returned is $5 = 10
p $fa0.double
# expect: = 10
continue
# expect: [Inferior 1 (process
# expect: exited with code 03]

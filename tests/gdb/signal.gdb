# A guest fault stops at the faulting instruction; continue delivers it.
# args: segv
# status: 139
continue
# expect: Program received signal SIGSEGV, Segmentation fault.
# expect: in main (argc=2,
x/i $pc
# expect: <main+
# expect: sd
continue
# expect: Program terminated with signal SIGSEGV, Segmentation fault.

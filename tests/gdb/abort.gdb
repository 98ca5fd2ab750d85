# A signal the guest sends itself (abort's SIGABRT) stops before delivery.
# args: abort
# status: 134
continue
# expect: Program received signal SIGABRT, Aborted.
bt
# expect: in abort ()
# expect: in main (argc=2,
continue
# expect: Program terminated with signal SIGABRT, Aborted.

/* execargs: execve()s the program named by $EXECARGS_PROGRAM with this program's own
 * arguments (argv[0] becomes that path), so every argument after the program reaches the
 * new one, even those that look like an emulator's options (-d, --help, --). Under mimic a
 * riscv64 program is re-executed by a new mimic: both mimics must leave them to the guest.
 * (qemu-riscv64 without binfmt_misc cannot execve a riscv64 program: tests/threads.rs runs
 * this one, against the golden of the program it executes.) */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    char *prog = getenv("EXECARGS_PROGRAM");
    if (!prog || argc < 1) {
        fprintf(stderr, "execargs: set EXECARGS_PROGRAM to the program to execute\n");
        return 2;
    }
    argv[0] = prog;
    execv(prog, argv);
    perror("execv");
    return 127;
}

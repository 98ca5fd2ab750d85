/* envorder: prints the environment in the order the program received it, one variable a
 * line. qemu-user builds the guest's environment newest first: the inherited variables in
 * reverse, with -E's in front; a drop-in must give programs the same list.
 * `envorder exec` execve's itself with T_A=1, T_B=2, T_C=3: an execve passes its envp as
 * given (no emulator may reorder it). Exit status 0. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv, char **envp)
{
    if (argc > 1 && !strcmp(argv[1], "exec")) {
        char *args[] = {argv[0], NULL};
        char *env[] = {"T_A=1", "T_B=2", "T_C=3", NULL};
        execve(argv[0], args, env);
        perror("execve");
        return 1;
    }
    for (char **e = envp; *e; e++)
        printf("%s\n", *e);
    return 0;
}

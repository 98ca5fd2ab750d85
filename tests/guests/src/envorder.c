/* envorder: prints the environment in the order the program received it, one variable a
 * line. qemu-user builds the guest's environment newest first: the inherited variables in
 * reverse, with -E's in front; a drop-in must give programs the same list. Exit status 0. */
#include <stdio.h>

int main(int argc, char **argv, char **envp)
{
    (void)argc;
    (void)argv;
    for (char **e = envp; *e; e++)
        printf("%s\n", *e);
    return 0;
}

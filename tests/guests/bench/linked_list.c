#include "common.h"
struct node { struct node *next; long v; };
int main(void)
{
    enum { N = 1 << 18 };
    struct node *nodes = malloc(N * sizeof *nodes);
    uint32_t *perm = malloc(N * sizeof *perm);
    for (uint32_t i = 0; i < N; i++) perm[i] = i;
    for (uint32_t i = N - 1; i > 0; i--) { uint32_t j = rng() % (i + 1), t = perm[i]; perm[i] = perm[j]; perm[j] = t; }
    for (uint32_t i = 0; i < N; i++) { nodes[perm[i]].next = &nodes[perm[(i + 1) % N]]; nodes[perm[i]].v = i; }
    long sum = 0;
    struct node *p = &nodes[perm[0]];
    for (long step = 0; step < 60L * N; step++) { sum += p->v; p = p->next; }
    printf("linked_list %ld\n", sum);
    return 0;
}

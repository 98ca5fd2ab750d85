/* A CoreMark-style mix (written for mimic, not CoreMark's code): each iteration runs the
 * same four workloads on data seeded from the previous iteration's CRC, so no work can be
 * hoisted out of the loop: linked-list find/reverse/merge-sort, a small integer matrix
 * multiply with bit extraction, a number-lexing state machine, and a CRC-16 over every
 * result. Each workload checks an invariant of its own result; the program prints the final
 * CRC. */
#include "common.h"
enum { NODES = 200, N = 16, TEXT = 480 };
struct node { struct node *next; int16_t key, val; };
static struct node pool[NODES];
static uint16_t crc16(uint16_t crc, uint32_t v, int bytes)
{
    for (int b = 0; b < bytes; b++, v >>= 8) {
        crc ^= (uint8_t)v;
        for (int k = 0; k < 8; k++) crc = crc & 1 ? (crc >> 1) ^ 0xa001 : crc >> 1;
    }
    return crc;
}
static struct node *merge_sort(struct node *list) /* bottom-up, by key */
{
    for (int width = 1;; width *= 2) {
        struct node *p = list, *tail = NULL, *head = NULL;
        int merges = 0;
        while (p) {
            struct node *q = p;
            int ps = 0, qs = width;
            merges++;
            while (q && ps < width) q = q->next, ps++;
            while (ps > 0 || (qs > 0 && q)) {
                struct node *e;
                if (ps == 0) e = q, q = q->next, qs--;
                else if (qs == 0 || !q || p->key <= q->key) e = p, p = p->next, ps--;
                else e = q, q = q->next, qs--;
                if (tail) tail->next = e; else head = e;
                tail = e;
            }
            p = q;
        }
        tail->next = NULL;
        list = head;
        if (merges <= 1) return list;
    }
}
static uint16_t lists(uint16_t seed)
{
    struct node *head = NULL;
    for (int i = 0; i < NODES; i++) {
        pool[i].key = (int16_t)((seed * 31 + i * 97) & 0x3ff), pool[i].val = (int16_t)i;
        pool[i].next = head, head = &pool[i];
    }
    uint16_t crc = 0;
    for (int k = 0; k < 8; k++) { /* find, counting the hops */
        int hops = 0, want = (seed + k * 131) & 0x3ff;
        struct node *n = head;
        while (n && n->key != want) n = n->next, hops++;
        crc = crc16(crc, (uint32_t)hops, 2);
    }
    struct node *rev = NULL;
    while (head) { struct node *n = head->next; head->next = rev, rev = head, head = n; }
    head = merge_sort(rev);
    int count = 0, prev = -1;
    for (struct node *n = head; n; n = n->next, count++) {
        if (n->key < prev) { printf("list not sorted\n"); exit(1); }
        prev = n->key, crc = crc16(crc, (uint32_t)n->val, 2);
    }
    if (count != NODES) { printf("list lost nodes\n"); exit(1); }
    return crc;
}
static uint16_t matrix(uint16_t seed)
{
    static int16_t a[N][N], b[N][N];
    static int32_t c[N][N];
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            a[i][j] = (int16_t)((seed + i * j) & 0xff) - 128, b[i][j] = (int16_t)((seed ^ (i + 3 * j)) & 0x7f) - 64;
    uint16_t crc = 0;
    int64_t total = 0, check = 0;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            int32_t s = 0;
            for (int k = 0; k < N; k++) s += a[i][k] * b[k][j];
            c[i][j] = s, total += s;
            crc = crc16(crc, (uint32_t)((s >> 2) & 0xf) ^ (uint32_t)((s >> 5) & 0x7f), 1);
        }
    for (int k = 0; k < N; k++) { /* sum(A*B) = sum_k colsum(A)_k * rowsum(B)_k */
        int64_t ca = 0, rb = 0;
        for (int i = 0; i < N; i++) ca += a[i][k], rb += b[k][i];
        check += ca * rb;
    }
    if (check != total) { printf("matrix sum mismatch\n"); exit(1); }
    return crc16(crc, (uint32_t)c[seed % N][(seed >> 4) % N], 4);
}
static uint16_t lexer(uint16_t seed)
{
    static const char alphabet[] = "0123456789+-.eE,, x";
    static char text[TEXT + 1];
    uint32_t x = seed | 1u << 16;
    for (int i = 0; i < TEXT; i++) x = x * 1103515245u + 12345u, text[i] = alphabet[(x >> 16) % (sizeof alphabet - 1)];
    text[TEXT] = ',';
    enum { START, INT, FRAC, EXP, EXPSIGN, EXPINT, BAD } st = START;
    int counts[7] = {0}, tokens = 0;
    for (int i = 0; i <= TEXT; i++) {
        char ch = text[i];
        if (ch == ',') { counts[st]++, tokens++, st = START; continue; }
        switch (st) {
        case START: st = (ch >= '0' && ch <= '9') || ch == '+' || ch == '-' ? INT : ch == '.' ? FRAC : BAD; break;
        case INT: st = ch >= '0' && ch <= '9' ? INT : ch == '.' ? FRAC : ch == 'e' || ch == 'E' ? EXP : BAD; break;
        case FRAC: st = ch >= '0' && ch <= '9' ? FRAC : ch == 'e' || ch == 'E' ? EXP : BAD; break;
        case EXP: st = ch == '+' || ch == '-' ? EXPSIGN : ch >= '0' && ch <= '9' ? EXPINT : BAD; break;
        case EXPSIGN: case EXPINT: st = ch >= '0' && ch <= '9' ? EXPINT : BAD; break;
        case BAD: break;
        }
    }
    int sum = 0;
    uint16_t crc = 0;
    for (int s = 0; s < 7; s++) sum += counts[s], crc = crc16(crc, (uint32_t)counts[s], 2);
    if (sum != tokens) { printf("lexer lost tokens\n"); exit(1); }
    return crc;
}
int main(void)
{
    uint16_t crc = 0x1234;
    for (int it = 0; it < 6000; it++) {
        crc = crc16(crc, lists(crc), 2);
        crc = crc16(crc, matrix(crc), 2);
        crc = crc16(crc, lexer(crc), 2);
    }
    printf("coremark_style %04x\n", crc);
    return 0;
}

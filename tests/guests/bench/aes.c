/* AES-128 with T-tables (four 1 KiB lookup tables per round, the way software AES runs without
 * AES instructions): builds the S-box from GF(2^8) arithmetic, checks the standard's
 * known-answer block, then encrypts a 256 KiB buffer in counter mode many times and prints a
 * checksum of the result. */
#include "common.h"
static uint8_t sbox[256];
static uint32_t te[4][256], rk[44];
static uint8_t xtime(uint8_t x) { return (uint8_t)(x << 1 ^ (x >> 7) * 0x1b); }
static uint32_t ror(uint32_t x, int n) { return x >> n | x << (32 - n); }
static void tables(void)
{
    uint8_t exp[256], log[256] = {0}, x = 1;
    for (int i = 0; i < 255; i++) exp[i] = x, log[x] = (uint8_t)i, x ^= xtime(x); /* x *= 3 */
    for (int i = 0; i < 256; i++) {
        uint8_t inv = i ? exp[(255 - log[i]) % 255] : 0, s = inv;
        for (int k = 1; k < 5; k++) s ^= (uint8_t)(inv << k | inv >> (8 - k));
        sbox[i] = s ^ 0x63;
        uint32_t t = (uint32_t)xtime(sbox[i]) << 24 | sbox[i] << 16 | sbox[i] << 8 | (xtime(sbox[i]) ^ sbox[i]);
        for (int k = 0; k < 4; k++) te[k][i] = ror(t, 8 * k);
    }
}
static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }
static void put32(uint8_t *p, uint32_t v) { p[0] = v >> 24, p[1] = v >> 16, p[2] = v >> 8, p[3] = (uint8_t)v; }
static uint32_t subword(uint32_t w)
{
    return (uint32_t)sbox[w >> 24] << 24 | sbox[w >> 16 & 255] << 16 | sbox[w >> 8 & 255] << 8 | sbox[w & 255];
}
static void expand(const uint8_t key[16])
{
    uint8_t rcon = 1;
    for (int i = 0; i < 4; i++) rk[i] = be32(key + 4 * i);
    for (int i = 4; i < 44; i++) {
        uint32_t t = rk[i - 1];
        if (i % 4 == 0) t = subword(t << 8 | t >> 24) ^ (uint32_t)rcon << 24, rcon = xtime(rcon);
        rk[i] = rk[i - 4] ^ t;
    }
}
#define T(a, b, c, d) (te[0][(a) >> 24] ^ te[1][(b) >> 16 & 255] ^ te[2][(c) >> 8 & 255] ^ te[3][(d) & 255])
#define S(a, b, c, d) subword(((a) & 0xff000000) | ((b) & 0xff0000) | ((c) & 0xff00) | ((d) & 0xff))
static void encrypt(uint8_t out[16], const uint8_t in[16])
{
    uint32_t s0 = be32(in) ^ rk[0], s1 = be32(in + 4) ^ rk[1], s2 = be32(in + 8) ^ rk[2], s3 = be32(in + 12) ^ rk[3];
    for (int r = 1; r < 10; r++) {
        uint32_t t0 = T(s0, s1, s2, s3) ^ rk[4 * r], t1 = T(s1, s2, s3, s0) ^ rk[4 * r + 1];
        uint32_t t2 = T(s2, s3, s0, s1) ^ rk[4 * r + 2], t3 = T(s3, s0, s1, s2) ^ rk[4 * r + 3];
        s0 = t0, s1 = t1, s2 = t2, s3 = t3;
    }
    put32(out, S(s0, s1, s2, s3) ^ rk[40]), put32(out + 4, S(s1, s2, s3, s0) ^ rk[41]);
    put32(out + 8, S(s2, s3, s0, s1) ^ rk[42]), put32(out + 12, S(s3, s0, s1, s2) ^ rk[43]);
}
int main(void)
{
    uint8_t key[16], in[16], out[16];
    static const uint8_t want[16] = {0x69, 0xc4, 0xe0, 0xd8, 0x6a, 0x7b, 0x04, 0x30,
                                     0xd8, 0xcd, 0xb7, 0x80, 0x70, 0xb4, 0xc5, 0x5a};
    for (int i = 0; i < 16; i++) key[i] = (uint8_t)i, in[i] = (uint8_t)(i * 0x11);
    tables();
    expand(key);
    encrypt(out, in);
    if (memcmp(out, want, 16) != 0) {
        printf("aes known-answer test failed\n");
        return 1;
    }
    static uint8_t buf[1 << 18];
    for (size_t i = 0; i < sizeof buf; i++) buf[i] = (uint8_t)rng();
    for (int r = 0; r < 60; r++) {
        for (int i = 0; i < 16; i++) key[i] = (uint8_t)rng();
        expand(key);
        uint8_t ctr[16] = {0};
        for (size_t off = 0; off < sizeof buf; off += 16) {
            put32(ctr + 12, (uint32_t)(off / 16));
            encrypt(out, ctr);
            for (int i = 0; i < 16; i++) buf[off + i] ^= out[i];
        }
    }
    uint64_t sum = 0;
    for (size_t i = 0; i < sizeof buf; i += 8) {
        uint64_t w;
        memcpy(&w, buf + i, 8);
        sum = sum * 0x100000001b3ull ^ w;
    }
    printf("aes %016llx\n", (unsigned long long)sum);
    return 0;
}

/* Poly1305 (the one-time authenticator): 130-bit arithmetic in three 44/44/42-bit limbs with
 * 64x64->128-bit multiplies. Checks a known-answer tag, then authenticates a 64 KiB buffer
 * under many keys and prints the xor of the tags. */
#include "common.h"
#define M44 0xfffffffffffull
#define M42 0x3ffffffffffull
typedef unsigned __int128 u128;
static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    return v;
}
static void poly1305(uint8_t tag[16], const uint8_t *m, size_t len, const uint8_t key[32])
{
    uint64_t t0 = le64(key), t1 = le64(key + 8);
    uint64_t r0 = t0 & 0xffc0fffffffull, r1 = ((t0 >> 44) | (t1 << 20)) & 0xfffffc0ffffull;
    uint64_t r2 = (t1 >> 24) & 0x00ffffffc0full, s1 = r1 * 20, s2 = r2 * 20;
    uint64_t h0 = 0, h1 = 0, h2 = 0, c;
    while (len) {
        uint8_t last[16];
        uint64_t hibit = 1ull << 40;
        const uint8_t *p = m;
        size_t n = len < 16 ? len : 16;
        if (n < 16) { /* a short last block is padded with a 1 byte, then zeros */
            memset(last, 0, 16);
            memcpy(last, m, n);
            last[n] = 1;
            p = last;
            hibit = 0;
        }
        t0 = le64(p), t1 = le64(p + 8);
        h0 += t0 & M44;
        h1 += ((t0 >> 44) | (t1 << 20)) & M44;
        h2 += ((t1 >> 24) & M42) | hibit;
        u128 d0 = (u128)h0 * r0 + (u128)h1 * s2 + (u128)h2 * s1;
        u128 d1 = (u128)h0 * r1 + (u128)h1 * r0 + (u128)h2 * s2;
        u128 d2 = (u128)h0 * r2 + (u128)h1 * r1 + (u128)h2 * r0;
        c = (uint64_t)(d0 >> 44), h0 = (uint64_t)d0 & M44;
        d1 += c, c = (uint64_t)(d1 >> 44), h1 = (uint64_t)d1 & M44;
        d2 += c, c = (uint64_t)(d2 >> 42), h2 = (uint64_t)d2 & M42;
        h0 += c * 5, c = h0 >> 44, h0 &= M44, h1 += c;
        m += n, len -= n;
    }
    c = h1 >> 44, h1 &= M44, h2 += c, c = h2 >> 42, h2 &= M42, h0 += c * 5;
    c = h0 >> 44, h0 &= M44, h1 += c, c = h1 >> 44, h1 &= M44, h2 += c;
    c = h2 >> 42, h2 &= M42, h0 += c * 5, c = h0 >> 44, h0 &= M44, h1 += c;
    /* h - p, kept when h >= p = 2^130 - 5 */
    uint64_t g0 = h0 + 5, g1, g2;
    c = g0 >> 44, g0 &= M44, g1 = h1 + c, c = g1 >> 44, g1 &= M44, g2 = h2 + c - (1ull << 42);
    c = (g2 >> 63) - 1;
    h0 = (h0 & ~c) | (g0 & c), h1 = (h1 & ~c) | (g1 & c), h2 = (h2 & ~c) | (g2 & c);
    t0 = le64(key + 16), t1 = le64(key + 24);
    h0 += t0 & M44, c = h0 >> 44, h0 &= M44;
    h1 += (((t0 >> 44) | (t1 << 20)) & M44) + c, c = h1 >> 44, h1 &= M44;
    h2 += ((t1 >> 24) & M42) + c, h2 &= M42;
    t0 = h0 | (h1 << 44), t1 = (h1 >> 20) | (h2 << 24);
    for (int i = 0; i < 8; i++) tag[i] = (uint8_t)(t0 >> 8 * i), tag[8 + i] = (uint8_t)(t1 >> 8 * i);
}
int main(void)
{
    static const uint8_t kat_key[32] = {
        0x85, 0xd6, 0xbe, 0x78, 0x57, 0x55, 0x6d, 0x33, 0x7f, 0x44, 0x52, 0xfe, 0x42, 0xd5, 0x06, 0xa8,
        0x01, 0x03, 0x80, 0x8a, 0xfb, 0x0d, 0xb2, 0xfd, 0x4a, 0xbf, 0xf6, 0xaf, 0x41, 0x49, 0xf5, 0x1b};
    static const uint8_t kat_tag[16] = {0xa8, 0x06, 0x1d, 0xc1, 0x30, 0x51, 0x36, 0xc6,
                                        0xc2, 0x2b, 0x8b, 0xaf, 0x0c, 0x01, 0x27, 0xa9};
    const char *msg = "Cryptographic Forum Research Group";
    uint8_t tag[16];
    poly1305(tag, (const uint8_t *)msg, strlen(msg), kat_key);
    if (memcmp(tag, kat_tag, 16) != 0) {
        printf("poly1305 known-answer test failed\n");
        return 1;
    }
    static uint8_t buf[(1 << 16) + 7]; /* the odd length exercises the padded last block */
    for (size_t i = 0; i < sizeof buf; i++) buf[i] = (uint8_t)rng();
    uint8_t key[32], acc[16] = {0};
    for (int r = 0; r < 1500; r++) {
        for (int i = 0; i < 32; i++) key[i] = (uint8_t)rng();
        poly1305(tag, buf, sizeof buf, key);
        for (int i = 0; i < 16; i++) acc[i] ^= tag[i];
    }
    printf("poly1305 ");
    for (int i = 0; i < 16; i++) printf("%02x", acc[i]);
    printf("\n");
    return 0;
}

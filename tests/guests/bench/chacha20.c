/* ChaCha20 (the 20-round stream cipher): checks the block function against a known-answer
 * vector, then encrypts a 256 KiB buffer in place many times, each pass with the next nonce,
 * and prints a checksum of the result. */
#include "common.h"
#define ROL(x, n) (((x) << (n)) | ((x) >> (32 - (n))))
#define QR(a, b, c, d)                                                                             \
    a += b, d ^= a, d = ROL(d, 16), c += d, b ^= c, b = ROL(b, 12), a += b, d ^= a, d = ROL(d, 8), \
    c += d, b ^= c, b = ROL(b, 7)
static uint32_t le32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static void block(uint32_t out[16], const uint32_t in[16])
{
    uint32_t x[16];
    memcpy(x, in, sizeof x);
    for (int i = 0; i < 10; i++) {
        QR(x[0], x[4], x[8], x[12]); QR(x[1], x[5], x[9], x[13]);
        QR(x[2], x[6], x[10], x[14]); QR(x[3], x[7], x[11], x[15]);
        QR(x[0], x[5], x[10], x[15]); QR(x[1], x[6], x[11], x[12]);
        QR(x[2], x[7], x[8], x[13]); QR(x[3], x[4], x[9], x[14]);
    }
    for (int i = 0; i < 16; i++) out[i] = x[i] + in[i];
}
static void setup(uint32_t s[16], const uint8_t key[32], uint32_t counter, const uint8_t nonce[12])
{
    s[0] = 0x61707865; s[1] = 0x3320646e; s[2] = 0x79622d32; s[3] = 0x6b206574;
    for (int i = 0; i < 8; i++) s[4 + i] = le32(key + 4 * i);
    s[12] = counter;
    for (int i = 0; i < 3; i++) s[13 + i] = le32(nonce + 4 * i);
}
static void xor_stream(uint8_t *buf, size_t len, const uint8_t key[32], const uint8_t nonce[12])
{
    uint32_t s[16], ks[16];
    setup(s, key, 1, nonce);
    for (size_t off = 0; off < len; off += 64, s[12]++) {
        block(ks, s);
        for (int i = 0; i < 16; i++) {
            uint32_t w = le32(buf + off + 4 * i) ^ ks[i];
            memcpy(buf + off + 4 * i, &w, 4); /* both targets are little-endian */
        }
    }
}
int main(void)
{
    uint8_t key[32], nonce[12] = {0, 0, 0, 9, 0, 0, 0, 0x4a, 0, 0, 0, 0};
    for (int i = 0; i < 32; i++) key[i] = (uint8_t)i;
    uint32_t s[16], ks[16];
    setup(s, key, 1, nonce);
    block(ks, s);
    if (ks[0] != 0xe4e7f110 || ks[1] != 0x15593bd1 || ks[15] != 0x4e3c50a2) {
        printf("chacha20 known-answer test failed: %08x %08x %08x\n", ks[0], ks[1], ks[15]);
        return 1;
    }
    static uint8_t buf[1 << 18];
    for (size_t i = 0; i < sizeof buf; i++) buf[i] = (uint8_t)rng();
    for (int r = 0; r < 120; r++) {
        nonce[0] = (uint8_t)r;
        xor_stream(buf, sizeof buf, key, nonce);
    }
    uint64_t sum = 0;
    for (size_t i = 0; i < sizeof buf; i += 8) {
        uint64_t w;
        memcpy(&w, buf + i, 8);
        sum = sum * 0x100000001b3ull ^ w;
    }
    printf("chacha20 %016llx\n", (unsigned long long)sum);
    return 0;
}

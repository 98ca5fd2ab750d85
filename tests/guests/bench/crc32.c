#include "common.h"
int main(void)
{
    static uint8_t buf[1 << 20];
    for (size_t i = 0; i < sizeof buf; i++) buf[i] = (uint8_t)rng();
    uint32_t table[256];
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
    uint32_t crc = 0;
    for (int round = 0; round < 120; round++) {
        uint32_t c = ~crc;
        for (size_t i = 0; i < sizeof buf; i++) c = table[(c ^ buf[i]) & 0xff] ^ (c >> 8);
        crc = ~c;
    }
    printf("crc32 %08x\n", crc);
    return 0;
}

#include "common.h"
int main(void)
{
    enum { LEN = 1 << 20 };
    uint8_t *in = malloc(LEN);
    for (int i = 0; i < LEN; i++) in[i] = rng() % 8;
    int state = 0; long counts[8] = {0};
    for (int r = 0; r < 90; r++)
        for (int i = 0; i < LEN; i++) {
            switch (state * 8 + in[i]) {
            case 0: case 9: case 18: state = 1; break;
            case 1: case 2: case 27: state = 2; break;
            case 3: case 12: case 21: case 30: state = 3; break;
            case 4: case 13: state = 4; break;
            case 5: case 22: case 38: state = 5; break;
            case 6: case 15: case 45: state = 6; break;
            case 7: case 31: case 54: state = 7; break;
            case 36: case 44: case 52: case 60: state = 0; break;
            default: state = (state + in[i]) & 7; break;
            }
            counts[state]++;
        }
    printf("state_machine %ld %ld %ld %ld\n", counts[0], counts[3], counts[5], counts[7]);
    return 0;
}

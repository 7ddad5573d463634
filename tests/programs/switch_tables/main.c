/* Exercises: large switch statements compiled to jump tables in .rodata
 * (absolute entries with -fno-pic, .rodata-relative entries under PIC/PIE,
 * 64-bit entries with -mcmodel=large), sparse switches (compare trees), and a
 * switch returning string literals. */
#include <stdio.h>

static __attribute__((noinline)) long dense(int sel, long x)
{
    switch (sel) {
    case 0: return (x << 6) | 20;
    case 1: return x * 10 + 27;
    case 2: return (x % 12) * 13;
    case 3: return (x % 30) * 8;
    case 4: return (x % 2) * 28;
    case 5: return x * 56 + 14;
    case 6: return x * 31 + 3;
    case 7: return (x % 2) * 55;
    case 8: return (x % 31) * 16;
    case 9: return (x ^ 1053) - 21;
    case 10: return (x % 19) * 8;
    case 11: return (x % 2) * 51;
    case 12: return (x ^ 78) - 18;
    case 13: return (x ^ 494) - 14;
    case 14: return (x ^ 910) - 4;
    case 15: return (x % 18) * 40;
    case 16: return (x ^ 182) - 19;
    case 17: return (x % 7) * 82;
    case 18: return (x << 4) | 13;
    case 19: return x * 73 + 2;
    case 20: return (x % 16) * 27;
    case 21: return (x % 25) * 55;
    case 22: return (x << 5) | 60;
    case 23: return x / 10 + 47;
    case 24: return (x ^ 312) - 23;
    case 25: return (x ^ 143) - 19;
    case 26: return (x << 2) | 68;
    case 27: return (x << 1) | 94;
    case 28: return (x << 3) | 78;
    case 29: return x * 66 + 14;
    case 30: return (x ^ 1261) - 11;
    case 31: return (x ^ 819) - 14;
    case 32: return x * 86 + 3;
    case 33: return (x % 26) * 74;
    case 34: return (x << 2) | 44;
    case 35: return (x << 2) | 77;
    case 36: return (x % 3) * 59;
    case 37: return x * 35 + 16;
    case 38: return x * 8 + 24;
    case 39: return (x << 5) | 83;
    case 40: return x / 23 + 37;
    case 41: return x / 12 + 86;
    case 42: return x * 60 + 12;
    case 43: return (x ^ 1027) - 4;
    case 44: return x / 7 + 8;
    case 45: return (x << 3) | 17;
    case 46: return (x ^ 663) - 13;
    case 47: return x / 6 + 11;
    case 48: return x / 18 + 52;
    case 49: return (x << 6) | 18;
    case 50: return x / 9 + 71;
    case 51: return x / 22 + 46;
    case 52: return x / 5 + 30;
    case 53: return x * 23 + 5;
    case 54: return (x ^ 1105) - 8;
    case 55: return x * 63 + 27;
    case 56: return (x % 9) * 24;
    case 57: return (x << 5) | 1;
    case 58: return x / 12 + 69;
    case 59: return (x % 11) * 73;
    case 60: return (x ^ 1157) - 28;
    case 61: return (x % 21) * 80;
    case 62: return x * 59 + 29;
    case 63: return (x % 13) * 51;
    case 64: return x / 4 + 51;
    case 65: return x / 13 + 82;
    case 66: return x * 25 + 3;
    case 67: return (x ^ 741) - 6;
    case 68: return x * 44 + 20;
    case 69: return x * 14 + 1;
    case 70: return (x % 18) * 20;
    case 71: return x * 47 + 20;
    case 72: return x * 10 + 28;
    case 73: return (x ^ 1027) - 13;
    case 74: return (x ^ 1066) - 9;
    case 75: return (x << 5) | 78;
    case 76: return x / 4 + 16;
    case 77: return x / 16 + 60;
    case 78: return x / 3 + 40;
    case 79: return (x ^ 182) - 24;
    case 80: return (x << 2) | 95;
    case 81: return x / 6 + 89;
    case 82: return (x % 7) * 3;
    case 83: return (x % 5) * 47;
    case 84: return (x % 25) * 4;
    case 85: return (x % 21) * 39;
    case 86: return x * 90 + 28;
    case 87: return (x << 5) | 67;
    case 88: return (x ^ 598) - 25;
    case 89: return (x ^ 897) - 18;
    case 90: return (x % 21) * 43;
    case 91: return (x ^ 1027) - 26;
    case 92: return (x ^ 403) - 27;
    case 93: return x / 26 + 95;
    case 94: return (x ^ 338) - 17;
    case 95: return x / 24 + 46;
    default: return -1;
    }
}

static __attribute__((noinline)) const char *token_name(int c)
{
    switch (c) {
    case '+': return "PLUS";   case '-': return "MINUS";  case '*': return "STAR";
    case '/': return "SLASH";  case '(': return "LPAREN"; case ')': return "RPAREN";
    case '{': return "LBRACE"; case '}': return "RBRACE"; case ';': return "SEMI";
    case ',': return "COMMA";  case '=': return "ASSIGN"; case '<': return "LT";
    case '>': return "GT";     case '!': return "BANG";   case '&': return "AMP";
    case '|': return "PIPE";   case '^': return "CARET";  case '%': return "PERCENT";
    case '.': return "DOT";    case ':': return "COLON";  case '?': return "QUESTION";
    default:  return "OTHER";
    }
}

static __attribute__((noinline)) int sparse(unsigned v)
{
    switch (v) {
    case 1: return 10;         case 100: return 20;       case 1000: return 30;
    case 65536: return 40;     case 1000000: return 50;   case 0x7fffffff: return 60;
    case 0xdeadbeef: return 70; case 42: return 80;       case 4242: return 90;
    default: return 0;
    }
}

extern int other_switch(int);

int main(void)
{
    unsigned long acc = 0;
    for (int sel = -2; sel < 100; sel++) {
        long r = dense(sel, 1000 + sel * 7);
        acc = acc * 31 + (unsigned long)r;
        if (sel % 16 == 0) printf("dense(%d)=%ld\n", sel, r);
    }
    printf("dense acc=%lu\n", acc);
    const char *src = "a=(b+c)*d-e/f;{x,y}<z>!q&w|e^r%t.u:v?";
    for (const char *p = src; *p; p++) printf("%s ", token_name(*p));
    printf("\n");
    unsigned probes[] = { 0, 1, 42, 100, 1000, 4242, 65536, 1000000, 0x7fffffffu, 0xdeadbeefu, 7 };
    int s = 0;
    for (unsigned i = 0; i < sizeof probes / sizeof probes[0]; i++) s = s * 3 + sparse(probes[i]);
    printf("sparse=%d\n", s);
    int o = 0;
    for (int i = 0; i < 40; i++) o += other_switch(i) * (i + 1);
    printf("other_switch=%d\n", o);
    return 0;
}

/* second object: another jump table, inside a function called across objects */
int other_switch(int v)
{
    switch (v & 31) {
    case 0: return 3;   case 1: return 1;   case 2: return 4;   case 3: return 1;
    case 4: return 5;   case 5: return 9;   case 6: return 2;   case 7: return 6;
    case 8: return 5;   case 9: return 3;   case 10: return 5;  case 11: return 8;
    case 12: return 9;  case 13: return 7;  case 14: return 9;  case 15: return 3;
    case 16: return v * 2;  case 17: return v - 3;  case 18: return v ^ 5;
    case 19: return v + 11; case 20: return -v;     case 21: return v / 2;
    case 22: return 27;     case 23: return v % 4;
    default: return 0;
    }
}

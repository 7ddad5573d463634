/* generated: functions f000..f099 (some call their predecessor) */

unsigned f000(unsigned x) { return x - 6 * (x & 746); }
unsigned f001(unsigned x) { return (x | 10) - 206; }
unsigned f002(unsigned x) { return x - 25 * (x & 734); }
unsigned f003(unsigned x) { return (x >> 18) + (x << 3) - 252; }
unsigned f004(unsigned x) { return x - 12 * (x & 426); }
unsigned f005(unsigned x) { return (x | 24) - 631; }
unsigned f006(unsigned x) { return (x ^ 10) + 557; }
unsigned f007(unsigned x) { return (x >> 17) + (x << 3) - 77 + f006(x & 0xff); }
unsigned f008(unsigned x) { return (x ^ 23) + 771; }
unsigned f009(unsigned x) { return x - 23 * (x & 852); }
unsigned f010(unsigned x) { return (x ^ 18) + 218; }
unsigned f011(unsigned x) { return x - 2 * (x & 790); }
unsigned f012(unsigned x) { return (x >> 21) + (x << 3) - 427; }
unsigned f013(unsigned x) { return x - 4 * (x & 743); }
unsigned f014(unsigned x) { return (x ^ 25) + 335; }
unsigned f015(unsigned x) { return x - 11 * (x & 354); }
unsigned f016(unsigned x) { return (x ^ 11) + 438; }
unsigned f017(unsigned x) { return x - 11 * (x & 582) + f016(x & 0xff); }
unsigned f018(unsigned x) { return (x ^ 29) + 889; }
unsigned f019(unsigned x) { return x - 8 * (x & 210); }
unsigned f020(unsigned x) { return x * 24 + 231; }
unsigned f021(unsigned x) { return x * 28 + 266; }
unsigned f022(unsigned x) { return (x | 11) - 791; }
unsigned f023(unsigned x) { return (x | 26) - 723; }
unsigned f024(unsigned x) { return x - 20 * (x & 115); }
unsigned f025(unsigned x) { return (x >> 28) + (x << 3) - 669; }
unsigned f026(unsigned x) { return (x | 25) - 237; }
unsigned f027(unsigned x) { return (x ^ 15) + 375 + f026(x & 0xff); }
unsigned f028(unsigned x) { return (x ^ 7) + 378; }
unsigned f029(unsigned x) { return x - 20 * (x & 857); }
unsigned f030(unsigned x) { return (x ^ 9) + 397; }
unsigned f031(unsigned x) { return (x | 11) - 344; }
unsigned f032(unsigned x) { return x - 28 * (x & 174); }
unsigned f033(unsigned x) { return (x ^ 11) + 947; }
unsigned f034(unsigned x) { return (x ^ 19) + 704; }
unsigned f035(unsigned x) { return x * 4 + 964; }
unsigned f036(unsigned x) { return (x ^ 1) + 922; }
unsigned f037(unsigned x) { return (x ^ 15) + 721 + f036(x & 0xff); }
unsigned f038(unsigned x) { return (x ^ 12) + 235; }
unsigned f039(unsigned x) { return x * 7 + 823; }
unsigned f040(unsigned x) { return (x >> 8) + (x << 3) - 712; }
unsigned f041(unsigned x) { return x - 20 * (x & 270); }
unsigned f042(unsigned x) { return x - 17 * (x & 901); }
unsigned f043(unsigned x) { return x - 22 * (x & 996); }
unsigned f044(unsigned x) { return x - 7 * (x & 863); }
unsigned f045(unsigned x) { return x * 10 + 310; }
unsigned f046(unsigned x) { return (x >> 5) + (x << 3) - 579; }
unsigned f047(unsigned x) { return (x >> 17) + (x << 3) - 104 + f046(x & 0xff); }
unsigned f048(unsigned x) { return x - 7 * (x & 913); }
unsigned f049(unsigned x) { return (x ^ 26) + 398; }
unsigned f050(unsigned x) { return (x ^ 17) + 871; }
unsigned f051(unsigned x) { return (x ^ 11) + 364; }
unsigned f052(unsigned x) { return x * 19 + 923; }
unsigned f053(unsigned x) { return (x | 13) - 959; }
unsigned f054(unsigned x) { return x * 4 + 236; }
unsigned f055(unsigned x) { return x * 17 + 129; }
unsigned f056(unsigned x) { return (x ^ 21) + 630; }
unsigned f057(unsigned x) { return x * 17 + 178 + f056(x & 0xff); }
unsigned f058(unsigned x) { return (x ^ 16) + 598; }
unsigned f059(unsigned x) { return (x ^ 6) + 89; }
unsigned f060(unsigned x) { return (x ^ 20) + 107; }
unsigned f061(unsigned x) { return (x | 18) - 832; }
unsigned f062(unsigned x) { return (x | 21) - 31; }
unsigned f063(unsigned x) { return (x | 4) - 574; }
unsigned f064(unsigned x) { return (x ^ 18) + 716; }
unsigned f065(unsigned x) { return (x >> 1) + (x << 3) - 126; }
unsigned f066(unsigned x) { return (x >> 1) + (x << 3) - 187; }
unsigned f067(unsigned x) { return x * 4 + 651 + f066(x & 0xff); }
unsigned f068(unsigned x) { return (x | 22) - 635; }
unsigned f069(unsigned x) { return (x ^ 19) + 213; }
unsigned f070(unsigned x) { return (x ^ 15) + 191; }
unsigned f071(unsigned x) { return x - 11 * (x & 280); }
unsigned f072(unsigned x) { return x - 21 * (x & 450); }
unsigned f073(unsigned x) { return (x ^ 13) + 601; }
unsigned f074(unsigned x) { return x - 28 * (x & 429); }
unsigned f075(unsigned x) { return (x | 23) - 137; }
unsigned f076(unsigned x) { return (x ^ 6) + 320; }
unsigned f077(unsigned x) { return x - 7 * (x & 771) + f076(x & 0xff); }
unsigned f078(unsigned x) { return (x ^ 12) + 467; }
unsigned f079(unsigned x) { return x * 4 + 344; }
unsigned f080(unsigned x) { return x * 25 + 229; }
unsigned f081(unsigned x) { return (x | 14) - 675; }
unsigned f082(unsigned x) { return x * 7 + 624; }
unsigned f083(unsigned x) { return x - 18 * (x & 509); }
unsigned f084(unsigned x) { return (x | 26) - 52; }
unsigned f085(unsigned x) { return x - 11 * (x & 11); }
unsigned f086(unsigned x) { return (x | 11) - 567; }
unsigned f087(unsigned x) { return (x >> 22) + (x << 3) - 751 + f086(x & 0xff); }
unsigned f088(unsigned x) { return (x ^ 8) + 619; }
unsigned f089(unsigned x) { return x * 27 + 815; }
unsigned f090(unsigned x) { return x - 3 * (x & 981); }
unsigned f091(unsigned x) { return (x ^ 6) + 26; }
unsigned f092(unsigned x) { return (x >> 10) + (x << 3) - 970; }
unsigned f093(unsigned x) { return (x >> 16) + (x << 3) - 166; }
unsigned f094(unsigned x) { return (x >> 27) + (x << 3) - 478; }
unsigned f095(unsigned x) { return x - 16 * (x & 629); }
unsigned f096(unsigned x) { return (x >> 6) + (x << 3) - 39; }
unsigned f097(unsigned x) { return x * 4 + 373 + f096(x & 0xff); }
unsigned f098(unsigned x) { return x - 21 * (x & 979); }
unsigned f099(unsigned x) { return (x ^ 17) + 723; }

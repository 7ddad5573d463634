/* generated: functions f100..f199 (some call f000 in funcs_a.c) */
unsigned f000(unsigned x);
unsigned f100(unsigned x) { return x * 2 + 676; }
unsigned f101(unsigned x) { return x - 29 * (x & 27); }
unsigned f102(unsigned x) { return (x >> 8) + (x << 3) - 121; }
unsigned f103(unsigned x) { return (x >> 18) + (x << 3) - 891 + f000(x >> 4); }
unsigned f104(unsigned x) { return (x | 5) - 218; }
unsigned f105(unsigned x) { return (x | 19) - 111; }
unsigned f106(unsigned x) { return x - 4 * (x & 966); }
unsigned f107(unsigned x) { return (x | 23) - 716 + f106(x & 0xff); }
unsigned f108(unsigned x) { return (x >> 14) + (x << 3) - 573; }
unsigned f109(unsigned x) { return (x ^ 25) + 237; }
unsigned f110(unsigned x) { return x * 17 + 128; }
unsigned f111(unsigned x) { return (x ^ 13) + 549; }
unsigned f112(unsigned x) { return (x | 14) - 457; }
unsigned f113(unsigned x) { return (x | 26) - 177; }
unsigned f114(unsigned x) { return (x ^ 18) + 941; }
unsigned f115(unsigned x) { return (x >> 29) + (x << 3) - 835; }
unsigned f116(unsigned x) { return (x >> 19) + (x << 3) - 366; }
unsigned f117(unsigned x) { return x - 21 * (x & 115) + f116(x & 0xff); }
unsigned f118(unsigned x) { return x - 13 * (x & 780); }
unsigned f119(unsigned x) { return (x >> 11) + (x << 3) - 514; }
unsigned f120(unsigned x) { return (x | 8) - 244; }
unsigned f121(unsigned x) { return (x >> 8) + (x << 3) - 432; }
unsigned f122(unsigned x) { return x - 19 * (x & 317); }
unsigned f123(unsigned x) { return (x >> 22) + (x << 3) - 702; }
unsigned f124(unsigned x) { return (x ^ 15) + 661; }
unsigned f125(unsigned x) { return (x | 2) - 259; }
unsigned f126(unsigned x) { return x - 27 * (x & 667); }
unsigned f127(unsigned x) { return (x ^ 9) + 424 + f126(x & 0xff); }
unsigned f128(unsigned x) { return (x | 5) - 669 + f000(x >> 4); }
unsigned f129(unsigned x) { return (x >> 10) + (x << 3) - 705; }
unsigned f130(unsigned x) { return (x | 26) - 965; }
unsigned f131(unsigned x) { return (x ^ 25) + 96; }
unsigned f132(unsigned x) { return (x | 8) - 475; }
unsigned f133(unsigned x) { return (x | 9) - 304; }
unsigned f134(unsigned x) { return (x ^ 21) + 531; }
unsigned f135(unsigned x) { return x - 24 * (x & 289); }
unsigned f136(unsigned x) { return (x ^ 29) + 933; }
unsigned f137(unsigned x) { return x - 26 * (x & 374) + f136(x & 0xff); }
unsigned f138(unsigned x) { return x * 20 + 661; }
unsigned f139(unsigned x) { return x - 23 * (x & 66); }
unsigned f140(unsigned x) { return (x ^ 4) + 434; }
unsigned f141(unsigned x) { return (x | 11) - 196; }
unsigned f142(unsigned x) { return x * 25 + 593; }
unsigned f143(unsigned x) { return (x >> 2) + (x << 3) - 826; }
unsigned f144(unsigned x) { return (x >> 22) + (x << 3) - 869; }
unsigned f145(unsigned x) { return (x | 7) - 965; }
unsigned f146(unsigned x) { return x - 6 * (x & 198); }
unsigned f147(unsigned x) { return x - 27 * (x & 273) + f146(x & 0xff); }
unsigned f148(unsigned x) { return x * 15 + 128; }
unsigned f149(unsigned x) { return x * 19 + 275; }
unsigned f150(unsigned x) { return (x ^ 24) + 395; }
unsigned f151(unsigned x) { return (x | 27) - 661; }
unsigned f152(unsigned x) { return x * 8 + 774; }
unsigned f153(unsigned x) { return (x | 8) - 169 + f000(x >> 4); }
unsigned f154(unsigned x) { return (x >> 21) + (x << 3) - 919; }
unsigned f155(unsigned x) { return (x ^ 27) + 711; }
unsigned f156(unsigned x) { return x - 22 * (x & 111); }
unsigned f157(unsigned x) { return (x ^ 11) + 423 + f156(x & 0xff); }
unsigned f158(unsigned x) { return (x >> 21) + (x << 3) - 718; }
unsigned f159(unsigned x) { return (x >> 18) + (x << 3) - 844; }
unsigned f160(unsigned x) { return (x ^ 1) + 618; }
unsigned f161(unsigned x) { return (x >> 13) + (x << 3) - 143; }
unsigned f162(unsigned x) { return (x | 9) - 176; }
unsigned f163(unsigned x) { return (x | 26) - 922; }
unsigned f164(unsigned x) { return (x >> 7) + (x << 3) - 901; }
unsigned f165(unsigned x) { return (x | 5) - 720; }
unsigned f166(unsigned x) { return x - 24 * (x & 556); }
unsigned f167(unsigned x) { return (x ^ 5) + 833 + f166(x & 0xff); }
unsigned f168(unsigned x) { return (x ^ 22) + 709; }
unsigned f169(unsigned x) { return (x ^ 9) + 26; }
unsigned f170(unsigned x) { return (x | 22) - 113; }
unsigned f171(unsigned x) { return x - 17 * (x & 431); }
unsigned f172(unsigned x) { return x * 16 + 160; }
unsigned f173(unsigned x) { return (x >> 23) + (x << 3) - 369; }
unsigned f174(unsigned x) { return x - 12 * (x & 299); }
unsigned f175(unsigned x) { return x - 29 * (x & 694); }
unsigned f176(unsigned x) { return (x | 15) - 929; }
unsigned f177(unsigned x) { return (x | 21) - 33 + f176(x & 0xff); }
unsigned f178(unsigned x) { return (x >> 6) + (x << 3) - 393 + f000(x >> 4); }
unsigned f179(unsigned x) { return x - 21 * (x & 370); }
unsigned f180(unsigned x) { return (x | 16) - 373; }
unsigned f181(unsigned x) { return (x ^ 3) + 520; }
unsigned f182(unsigned x) { return (x | 9) - 202; }
unsigned f183(unsigned x) { return (x ^ 15) + 478; }
unsigned f184(unsigned x) { return (x >> 20) + (x << 3) - 7; }
unsigned f185(unsigned x) { return (x ^ 24) + 118; }
unsigned f186(unsigned x) { return x - 2 * (x & 289); }
unsigned f187(unsigned x) { return x * 23 + 899 + f186(x & 0xff); }
unsigned f188(unsigned x) { return x * 22 + 492; }
unsigned f189(unsigned x) { return x - 7 * (x & 540); }
unsigned f190(unsigned x) { return (x | 22) - 768; }
unsigned f191(unsigned x) { return (x ^ 22) + 653; }
unsigned f192(unsigned x) { return (x >> 21) + (x << 3) - 526; }
unsigned f193(unsigned x) { return (x >> 16) + (x << 3) - 301; }
unsigned f194(unsigned x) { return (x | 2) - 694; }
unsigned f195(unsigned x) { return (x ^ 22) + 745; }
unsigned f196(unsigned x) { return (x | 16) - 730; }
unsigned f197(unsigned x) { return (x ^ 10) + 665 + f196(x & 0xff); }
unsigned f198(unsigned x) { return (x >> 9) + (x << 3) - 338; }
unsigned f199(unsigned x) { return x * 5 + 638; }

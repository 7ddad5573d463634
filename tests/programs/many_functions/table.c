/* generated: const table (.data.rel.ro / .rodata) of 200 function pointers
 * to functions in two other objects, plus a writable table (.data). */
unsigned f000(unsigned);
unsigned f001(unsigned);
unsigned f002(unsigned);
unsigned f003(unsigned);
unsigned f004(unsigned);
unsigned f005(unsigned);
unsigned f006(unsigned);
unsigned f007(unsigned);
unsigned f008(unsigned);
unsigned f009(unsigned);
unsigned f010(unsigned);
unsigned f011(unsigned);
unsigned f012(unsigned);
unsigned f013(unsigned);
unsigned f014(unsigned);
unsigned f015(unsigned);
unsigned f016(unsigned);
unsigned f017(unsigned);
unsigned f018(unsigned);
unsigned f019(unsigned);
unsigned f020(unsigned);
unsigned f021(unsigned);
unsigned f022(unsigned);
unsigned f023(unsigned);
unsigned f024(unsigned);
unsigned f025(unsigned);
unsigned f026(unsigned);
unsigned f027(unsigned);
unsigned f028(unsigned);
unsigned f029(unsigned);
unsigned f030(unsigned);
unsigned f031(unsigned);
unsigned f032(unsigned);
unsigned f033(unsigned);
unsigned f034(unsigned);
unsigned f035(unsigned);
unsigned f036(unsigned);
unsigned f037(unsigned);
unsigned f038(unsigned);
unsigned f039(unsigned);
unsigned f040(unsigned);
unsigned f041(unsigned);
unsigned f042(unsigned);
unsigned f043(unsigned);
unsigned f044(unsigned);
unsigned f045(unsigned);
unsigned f046(unsigned);
unsigned f047(unsigned);
unsigned f048(unsigned);
unsigned f049(unsigned);
unsigned f050(unsigned);
unsigned f051(unsigned);
unsigned f052(unsigned);
unsigned f053(unsigned);
unsigned f054(unsigned);
unsigned f055(unsigned);
unsigned f056(unsigned);
unsigned f057(unsigned);
unsigned f058(unsigned);
unsigned f059(unsigned);
unsigned f060(unsigned);
unsigned f061(unsigned);
unsigned f062(unsigned);
unsigned f063(unsigned);
unsigned f064(unsigned);
unsigned f065(unsigned);
unsigned f066(unsigned);
unsigned f067(unsigned);
unsigned f068(unsigned);
unsigned f069(unsigned);
unsigned f070(unsigned);
unsigned f071(unsigned);
unsigned f072(unsigned);
unsigned f073(unsigned);
unsigned f074(unsigned);
unsigned f075(unsigned);
unsigned f076(unsigned);
unsigned f077(unsigned);
unsigned f078(unsigned);
unsigned f079(unsigned);
unsigned f080(unsigned);
unsigned f081(unsigned);
unsigned f082(unsigned);
unsigned f083(unsigned);
unsigned f084(unsigned);
unsigned f085(unsigned);
unsigned f086(unsigned);
unsigned f087(unsigned);
unsigned f088(unsigned);
unsigned f089(unsigned);
unsigned f090(unsigned);
unsigned f091(unsigned);
unsigned f092(unsigned);
unsigned f093(unsigned);
unsigned f094(unsigned);
unsigned f095(unsigned);
unsigned f096(unsigned);
unsigned f097(unsigned);
unsigned f098(unsigned);
unsigned f099(unsigned);
unsigned f100(unsigned);
unsigned f101(unsigned);
unsigned f102(unsigned);
unsigned f103(unsigned);
unsigned f104(unsigned);
unsigned f105(unsigned);
unsigned f106(unsigned);
unsigned f107(unsigned);
unsigned f108(unsigned);
unsigned f109(unsigned);
unsigned f110(unsigned);
unsigned f111(unsigned);
unsigned f112(unsigned);
unsigned f113(unsigned);
unsigned f114(unsigned);
unsigned f115(unsigned);
unsigned f116(unsigned);
unsigned f117(unsigned);
unsigned f118(unsigned);
unsigned f119(unsigned);
unsigned f120(unsigned);
unsigned f121(unsigned);
unsigned f122(unsigned);
unsigned f123(unsigned);
unsigned f124(unsigned);
unsigned f125(unsigned);
unsigned f126(unsigned);
unsigned f127(unsigned);
unsigned f128(unsigned);
unsigned f129(unsigned);
unsigned f130(unsigned);
unsigned f131(unsigned);
unsigned f132(unsigned);
unsigned f133(unsigned);
unsigned f134(unsigned);
unsigned f135(unsigned);
unsigned f136(unsigned);
unsigned f137(unsigned);
unsigned f138(unsigned);
unsigned f139(unsigned);
unsigned f140(unsigned);
unsigned f141(unsigned);
unsigned f142(unsigned);
unsigned f143(unsigned);
unsigned f144(unsigned);
unsigned f145(unsigned);
unsigned f146(unsigned);
unsigned f147(unsigned);
unsigned f148(unsigned);
unsigned f149(unsigned);
unsigned f150(unsigned);
unsigned f151(unsigned);
unsigned f152(unsigned);
unsigned f153(unsigned);
unsigned f154(unsigned);
unsigned f155(unsigned);
unsigned f156(unsigned);
unsigned f157(unsigned);
unsigned f158(unsigned);
unsigned f159(unsigned);
unsigned f160(unsigned);
unsigned f161(unsigned);
unsigned f162(unsigned);
unsigned f163(unsigned);
unsigned f164(unsigned);
unsigned f165(unsigned);
unsigned f166(unsigned);
unsigned f167(unsigned);
unsigned f168(unsigned);
unsigned f169(unsigned);
unsigned f170(unsigned);
unsigned f171(unsigned);
unsigned f172(unsigned);
unsigned f173(unsigned);
unsigned f174(unsigned);
unsigned f175(unsigned);
unsigned f176(unsigned);
unsigned f177(unsigned);
unsigned f178(unsigned);
unsigned f179(unsigned);
unsigned f180(unsigned);
unsigned f181(unsigned);
unsigned f182(unsigned);
unsigned f183(unsigned);
unsigned f184(unsigned);
unsigned f185(unsigned);
unsigned f186(unsigned);
unsigned f187(unsigned);
unsigned f188(unsigned);
unsigned f189(unsigned);
unsigned f190(unsigned);
unsigned f191(unsigned);
unsigned f192(unsigned);
unsigned f193(unsigned);
unsigned f194(unsigned);
unsigned f195(unsigned);
unsigned f196(unsigned);
unsigned f197(unsigned);
unsigned f198(unsigned);
unsigned f199(unsigned);

typedef unsigned (*fn_t)(unsigned);
const fn_t fn_table[200] = {
    f000, f001, f002, f003, f004, f005, f006, f007, f008, f009,
    f010, f011, f012, f013, f014, f015, f016, f017, f018, f019,
    f020, f021, f022, f023, f024, f025, f026, f027, f028, f029,
    f030, f031, f032, f033, f034, f035, f036, f037, f038, f039,
    f040, f041, f042, f043, f044, f045, f046, f047, f048, f049,
    f050, f051, f052, f053, f054, f055, f056, f057, f058, f059,
    f060, f061, f062, f063, f064, f065, f066, f067, f068, f069,
    f070, f071, f072, f073, f074, f075, f076, f077, f078, f079,
    f080, f081, f082, f083, f084, f085, f086, f087, f088, f089,
    f090, f091, f092, f093, f094, f095, f096, f097, f098, f099,
    f100, f101, f102, f103, f104, f105, f106, f107, f108, f109,
    f110, f111, f112, f113, f114, f115, f116, f117, f118, f119,
    f120, f121, f122, f123, f124, f125, f126, f127, f128, f129,
    f130, f131, f132, f133, f134, f135, f136, f137, f138, f139,
    f140, f141, f142, f143, f144, f145, f146, f147, f148, f149,
    f150, f151, f152, f153, f154, f155, f156, f157, f158, f159,
    f160, f161, f162, f163, f164, f165, f166, f167, f168, f169,
    f170, f171, f172, f173, f174, f175, f176, f177, f178, f179,
    f180, f181, f182, f183, f184, f185, f186, f187, f188, f189,
    f190, f191, f192, f193, f194, f195, f196, f197, f198, f199
};
fn_t fn_table_rw[200] = {
    f000, f001, f002, f003, f004, f005, f006, f007, f008, f009,
    f010, f011, f012, f013, f014, f015, f016, f017, f018, f019,
    f020, f021, f022, f023, f024, f025, f026, f027, f028, f029,
    f030, f031, f032, f033, f034, f035, f036, f037, f038, f039,
    f040, f041, f042, f043, f044, f045, f046, f047, f048, f049,
    f050, f051, f052, f053, f054, f055, f056, f057, f058, f059,
    f060, f061, f062, f063, f064, f065, f066, f067, f068, f069,
    f070, f071, f072, f073, f074, f075, f076, f077, f078, f079,
    f080, f081, f082, f083, f084, f085, f086, f087, f088, f089,
    f090, f091, f092, f093, f094, f095, f096, f097, f098, f099,
    f100, f101, f102, f103, f104, f105, f106, f107, f108, f109,
    f110, f111, f112, f113, f114, f115, f116, f117, f118, f119,
    f120, f121, f122, f123, f124, f125, f126, f127, f128, f129,
    f130, f131, f132, f133, f134, f135, f136, f137, f138, f139,
    f140, f141, f142, f143, f144, f145, f146, f147, f148, f149,
    f150, f151, f152, f153, f154, f155, f156, f157, f158, f159,
    f160, f161, f162, f163, f164, f165, f166, f167, f168, f169,
    f170, f171, f172, f173, f174, f175, f176, f177, f178, f179,
    f180, f181, f182, f183, f184, f185, f186, f187, f188, f189,
    f190, f191, f192, f193, f194, f195, f196, f197, f198, f199
};

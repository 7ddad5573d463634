/* level 3: data referenced from ff_level2 */
const long gg_data[] = { 100, 200, 300, 400, 500 };
const int gg_len = sizeof gg_data / sizeof gg_data[0];

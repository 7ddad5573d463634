/* The sqlite workload of bench/cost-bench.sh: an in-memory database, 10,000
   rows inserted in one transaction through a prepared statement, then an
   aggregate query and an indexed lookup. Prints a checksum. */
#include <stdio.h>
#include <stdlib.h>
#include "sqlite3.h"

static void check(int rc, sqlite3 *db, const char *what) {
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
        fprintf(stderr, "%s: %s\n", what, sqlite3_errmsg(db));
        exit(1);
    }
}

int main(int argc, char **argv) {
    int rows = argc > 1 ? atoi(argv[1]) : 10000;
    sqlite3 *db;
    check(sqlite3_open(":memory:", &db), db, "open");
    check(sqlite3_exec(db,
                       "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, value REAL);"
                       "CREATE INDEX t_name ON t(name);",
                       NULL, NULL, NULL),
          db, "create");
    check(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), db, "begin");
    sqlite3_stmt *insert;
    check(sqlite3_prepare_v2(db, "INSERT INTO t(name, value) VALUES (?1, ?2)", -1, &insert, NULL),
          db, "prepare insert");
    char name[32];
    for (int i = 0; i < rows; i++) {
        snprintf(name, sizeof name, "row-%d", (i * 7919) % rows);
        sqlite3_bind_text(insert, 1, name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_double(insert, 2, i * 0.5);
        check(sqlite3_step(insert), db, "insert");
        sqlite3_reset(insert);
    }
    sqlite3_finalize(insert);
    check(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), db, "commit");
    sqlite3_stmt *query;
    check(sqlite3_prepare_v2(db,
                             "SELECT count(*), sum(value), max(length(name)) FROM t "
                             "WHERE name >= 'row-5' AND value > 10",
                             -1, &query, NULL),
          db, "prepare query");
    check(sqlite3_step(query), db, "query");
    printf("%d rows, sum %.1f, longest name %d\n", sqlite3_column_int(query, 0),
           sqlite3_column_double(query, 1), sqlite3_column_int(query, 2));
    sqlite3_finalize(query);
    sqlite3_close(db);
    return 0;
}

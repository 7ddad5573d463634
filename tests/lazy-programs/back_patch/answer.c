/* Linked lazily under `run --lazy`. */
int answer(int x) { return x + 100; }

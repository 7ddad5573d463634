static __thread long total;
static __thread int count;
extern __thread int my_id;

void b_record(int value)
{
    total += value * (my_id + 1);
    count++;
}
long b_total(void) { return total; }
int b_count(void) { return count; }

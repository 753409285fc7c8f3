/*
 * Peer sets (src/util/mzmtp_peerset.h): the cursors that round robin and fair queueing
 * walk. Each walk is checked against a plain loop over the slots, at peers on the edges
 * of the set's words, in every profile (one word up to 32 peers, 313 words at 10,000).
 */
#include "testutil.h"
#include "../../src/util/mzmtp_peerset.h"

#define N MZMTP_CONF_MAX_PEERS

/* The plain definition: the first member at or after @p from, wrapping, or END. */
static unsigned naive_cyclic(const bool *in, unsigned from)
{
    for (unsigned k = 0; k < N; k++) {
        unsigned p = (from + k) % N;
        if (in[p]) return p;
    }
    return MZMTP_PEERSET_END;
}

static unsigned naive_cyclic_either(const bool *a, const bool *b, unsigned from)
{
    for (unsigned k = 0; k < N; k++) {
        unsigned p = (from + k) % N;
        if (a[p] || b[p]) return p;
    }
    return MZMTP_PEERSET_END;
}

/* Slots that stand on word edges (and the last), as many as the build has. */
static unsigned edges(unsigned *out)
{
    static const unsigned cand[] = {0, 1, 30, 31, 32, 33, 63, 64, 65, 95, 96, N - 2, N - 1};
    unsigned n = 0;
    for (size_t i = 0; i < sizeof cand / sizeof cand[0]; i++) {
        if (cand[i] < N && (n == 0 || out[n - 1] < cand[i])) out[n++] = cand[i];
    }
    return n;
}

static void make(mzmtp_peerset_t *s, bool *in, const unsigned *e, unsigned n, unsigned bits)
{
    mzmtp_peerset_clear(s);
    for (unsigned p = 0; p < N; p++) in[p] = false;
    for (unsigned i = 0; i < n; i++) {
        if (bits & (1u << i)) {
            mzmtp_peerset_add(s, e[i]);
            in[e[i]] = true;
        }
    }
}

/* Every subset of the edge slots (up to 2^13), every cursor at or next to an edge. */
static void next_cyclic_finds_the_first_member_from_the_cursor_on_wrapping(void **state)
{
    (void)state;
    static bool in[N];
    unsigned e[16], n = edges(e);
    mzmtp_peerset_t s;
    for (unsigned bits = 0; bits < (1u << n); bits++) {
        make(&s, in, e, n, bits);
        for (unsigned i = 0; i < n; i++) {
            for (unsigned d = 0; d < 2; d++) {
                unsigned from = (e[i] + d) % N;
                assert_int_equal(mzmtp_peerset_next_cyclic(&s, from), naive_cyclic(in, from));
            }
        }
    }
}

static void next_cyclic_of_an_empty_set_is_the_end(void **state)
{
    (void)state;
    mzmtp_peerset_t s;
    mzmtp_peerset_clear(&s);
    assert_int_equal(mzmtp_peerset_next_cyclic(&s, 0), MZMTP_PEERSET_END);
    assert_int_equal(mzmtp_peerset_next_cyclic(&s, N - 1), MZMTP_PEERSET_END);
}

/* A single member below the cursor in the cursor's own word is found on the way round. */
static void next_cyclic_finds_a_member_just_below_the_cursor(void **state)
{
    (void)state;
    for (unsigned p = 0; p + 1 < N; p++) {
        mzmtp_peerset_t s = mzmtp_peerset_of(p);
        assert_int_equal(mzmtp_peerset_next_cyclic(&s, p + 1), p);
        assert_int_equal(mzmtp_peerset_next_cyclic(&s, p), p);
    }
}

static void next_cyclic_either_walks_the_union_without_building_it(void **state)
{
    (void)state;
    static bool in_a[N], in_b[N];
    unsigned e[16], n = edges(e);
    mzmtp_peerset_t a, b;
    for (unsigned bits = 0; bits < (1u << n); bits += (n > 8 ? 7u : 1u)) {
        /* a takes the subset, b every other edge slot it lacks */
        make(&a, in_a, e, n, bits);
        make(&b, in_b, e, n, ~bits & ((1u << n) - 1u) & 0x5555u);
        for (unsigned i = 0; i < n; i++) {
            for (unsigned d = 0; d < 2; d++) {
                unsigned from = (e[i] + d) % N;
                assert_int_equal(mzmtp_peerset_next_cyclic_either(&a, &b, from),
                                 naive_cyclic_either(in_a, in_b, from));
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(next_cyclic_finds_the_first_member_from_the_cursor_on_wrapping),
        cmocka_unit_test(next_cyclic_of_an_empty_set_is_the_end),
        cmocka_unit_test(next_cyclic_finds_a_member_just_below_the_cursor),
        cmocka_unit_test(next_cyclic_either_walks_the_union_without_building_it),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * The ROUTER's routing-id hash (src/util/mzmtp_idmap.h): lookups, ids that share a home
 * slot, removal that keeps the rest of a probe chain reachable, and a random run against
 * a plain scan. It runs in every profile (a socket uses it where MZMTP_CONF_ROUTER_HASH
 * is 1).
 */
#include "testutil.h"
#include "../../src/util/mzmtp_idmap.h"

#define PEERS 64u
#define SLOTS 128u
static uint16_t slot[SLOTS];
static uint8_t ids[PEERS][8];
static uint8_t lens[PEERS];
static const mzmtp_idmap_keys_t keys = {&ids[0][0], sizeof ids[0], lens, 1};

static void set_id(unsigned p, const char *id)
{
    lens[p] = (uint8_t)strlen(id);
    memcpy(ids[p], id, lens[p]);
}

static int find(const char *id)
{
    return mzmtp_idmap_find(slot, SLOTS, &keys, (const uint8_t *)id, strlen(id));
}

static void an_indexed_id_finds_its_peer_and_an_unknown_one_none(void **state)
{
    memset(slot, 0, sizeof slot);
    set_id(3, "alpha");
    set_id(9, "beta");
    mzmtp_idmap_insert(slot, SLOTS, &keys, 3);
    mzmtp_idmap_insert(slot, SLOTS, &keys, 9);
    assert_int_equal(find("alpha"), 3);
    assert_int_equal(find("beta"), 9);
    assert_int_equal(find("gamma"), -1);
    assert_int_equal(find("alph"), -1);
    assert_int_equal(find(""), -1);
}

static void removal_keeps_the_rest_of_a_probe_chain_reachable(void **state)
{
    /* A tiny table: 8 slots, 6 ids, so chains overlap and wrap. */
    static uint16_t small[8];
    memset(small, 0, sizeof small);
    const char *name[6] = {"a", "b", "c", "d", "e", "f"};
    for (unsigned p = 0; p < 6; p++) {
        set_id(p, name[p]);
        mzmtp_idmap_insert(small, 8, &keys, p);
    }
    for (unsigned gone = 0; gone < 6; gone++) {
        mzmtp_idmap_remove(small, 8, &keys, gone);
        for (unsigned p = 0; p < 6; p++) {
            int want = p <= gone ? -1 : (int)p;
            assert_int_equal(mzmtp_idmap_find(small, 8, &keys, (const uint8_t *)name[p], 1), want);
        }
    }
    for (unsigned i = 0; i < 8; i++) assert_int_equal(small[i], 0);
    mzmtp_idmap_remove(small, 8, &keys, 2); /* not there: nothing */
}

static void random_operations_agree_with_a_scan(void **state)
{
    tu_rng_t r;
    tu_rng_seed(&r, 5);
    bool in[PEERS] = {false};
    memset(slot, 0, sizeof slot);
    for (unsigned step = 0; step < 20000; step++) {
        unsigned p = tu_rng_below(&r, PEERS);
        if (in[p]) {
            mzmtp_idmap_remove(slot, SLOTS, &keys, p);
            in[p] = false;
        } else {
            /* 1-2 bytes over a 4-letter alphabet: duplicates happen; like a ROUTER, only
             * a peer whose id is not indexed yet goes in. */
            lens[p] = (uint8_t)tu_rng_range(&r, 1, 2);
            for (unsigned k = 0; k < lens[p]; k++) ids[p][k] = (uint8_t)('w' + tu_rng_below(&r, 4));
            if (mzmtp_idmap_find(slot, SLOTS, &keys, ids[p], lens[p]) < 0) {
                mzmtp_idmap_insert(slot, SLOTS, &keys, p);
                in[p] = true;
            }
        }
        uint8_t q[2] = {(uint8_t)('w' + tu_rng_below(&r, 4)), (uint8_t)('w' + tu_rng_below(&r, 4))};
        size_t qlen = tu_rng_range(&r, 1, 2);
        int want = -1;
        for (unsigned k = 0; k < PEERS; k++) {
            if (in[k] && lens[k] == qlen && memcmp(ids[k], q, qlen) == 0) want = (int)k;
        }
        assert_int_equal(mzmtp_idmap_find(slot, SLOTS, &keys, q, qlen), want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(an_indexed_id_finds_its_peer_and_an_unknown_one_none),
        cmocka_unit_test(removal_keeps_the_rest_of_a_probe_chain_reachable),
        cmocka_unit_test(random_operations_agree_with_a_scan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

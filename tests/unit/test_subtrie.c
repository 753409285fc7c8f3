/*
 * The subscription trie (src/util/mzmtp_subtrie.h): prefix matching, node splits that
 * keep their values, sparse peer sets, pruning that gives every cell back, a full pool
 * that refuses without changing anything, and a random run against a plain model.
 * It runs in every profile (the module is compiled in all of them; a socket uses it
 * where MZMTP_CONF_SUB_TRIE is 1).
 */
#include "testutil.h"
#include "../../src/util/mzmtp_subtrie.h"

#define CELLS 600u
static mzmtp_subtrie_cell_t t[CELLS];

static unsigned put(const char *topic, unsigned p)
{
    unsigned n = mzmtp_subtrie_insert(t, (const uint8_t *)topic, strlen(topic));
    assert_int_not_equal(n, MZMTP_SUBTRIE_NONE);
    assert_true(mzmtp_subtrie_peer_add(t, n, p));
    return n;
}

static void drop(const char *topic, unsigned p)
{
    unsigned n = mzmtp_subtrie_find(t, (const uint8_t *)topic, strlen(topic));
    assert_int_not_equal(n, MZMTP_SUBTRIE_NONE);
    mzmtp_subtrie_peer_del(t, n, p);
    mzmtp_subtrie_prune(t, n);
}

static mzmtp_peerset_t match(const char *msg)
{
    mzmtp_peerset_t m;
    mzmtp_subtrie_match_peers(t, (const uint8_t *)msg, strlen(msg), &m);
    return m;
}

static unsigned last_peer(void) { return MZMTP_CONF_MAX_PEERS - 1u; }

static void empty_topic_matches_every_message(void **state)
{
    mzmtp_subtrie_init(t, CELLS);
    put("", 0);
    mzmtp_peerset_t m = match("anything");
    assert_true(mzmtp_peerset_has(&m, 0));
    m = match("");
    assert_true(mzmtp_peerset_has(&m, 0));
}

static void a_message_matches_the_topics_that_are_its_prefixes(void **state)
{
    TU_NEED_PEERS(4);
    mzmtp_subtrie_init(t, CELLS);
    put("ab", 0);
    put("abc", 1);
    put("b", 2);
    put("abcde", 3);
    mzmtp_peerset_t m = match("abcd");
    assert_true(mzmtp_peerset_has(&m, 0));
    assert_true(mzmtp_peerset_has(&m, 1));
    assert_false(mzmtp_peerset_has(&m, 2));
    assert_false(mzmtp_peerset_has(&m, 3)); /* longer than the message */
    m = match("a");
    assert_true(mzmtp_peerset_empty(&m));
    m = match("bz");
    assert_true(mzmtp_peerset_has(&m, 2));
    assert_int_equal(mzmtp_peerset_count(&m), 1);
}

static void splitting_a_node_keeps_the_values_of_both_halves(void **state)
{
    mzmtp_subtrie_init(t, CELLS);
    /* 30 bytes: three nodes; then topics ending inside and leaving each of them. */
    const char *lng = "0123456789abcdefghijklmnopqrst";
    unsigned n = put(lng, 0);
    t[n].node.count = 7;
    put("0123", 0);
    put("0123456789abcdX", 0);
    put("01234567890", 0);
    assert_int_equal(mzmtp_subtrie_find(t, (const uint8_t *)lng, strlen(lng)), n);
    assert_int_equal(t[n].node.count, 7);
    assert_true(mzmtp_subtrie_peer_has(t, n, 0));
    assert_int_equal(mzmtp_subtrie_find(t, (const uint8_t *)"012", 3), MZMTP_SUBTRIE_NONE);
    assert_int_not_equal(mzmtp_subtrie_find(t, (const uint8_t *)"0123", 4), MZMTP_SUBTRIE_NONE);
    uint8_t out[64];
    assert_int_equal(mzmtp_subtrie_topic_len(t, n), strlen(lng));
    mzmtp_subtrie_topic(t, n, out);
    TU_ASSERT_BYTES(out, strlen(lng), lng, strlen(lng));
}

static void removing_every_subscription_gives_every_cell_back(void **state)
{
    TU_NEED_PEERS(2);
    mzmtp_subtrie_init(t, CELLS);
    unsigned before = mzmtp_subtrie_free_cells(t);
    put("weather/", 0);
    put("weather/paris", 1);
    put("weather/berlin", 0);
    put("news", 1);
    put("", 1);
    drop("weather/", 0);
    drop("news", 1);
    drop("", 1);
    drop("weather/berlin", 0);
    assert_true(mzmtp_subtrie_free_cells(t) < before);
    drop("weather/paris", 1);
    assert_int_equal(mzmtp_subtrie_free_cells(t), before);
    assert_int_equal(mzmtp_subtrie_next(t, MZMTP_SUBTRIE_ROOT), MZMTP_SUBTRIE_NONE);
}

static void forgetting_a_peer_drops_all_its_subscriptions(void **state)
{
    TU_NEED_PEERS(2);
    mzmtp_subtrie_init(t, CELLS);
    unsigned before = mzmtp_subtrie_free_cells(t);
    put("a", 0);
    put("ab", 0);
    put("ab", 1);
    put("zz", 0);
    mzmtp_subtrie_forget_peer(t, 0);
    mzmtp_peerset_t m = match("abz");
    assert_false(mzmtp_peerset_has(&m, 0));
    assert_true(mzmtp_peerset_has(&m, 1));
    assert_int_equal(mzmtp_subtrie_find(t, (const uint8_t *)"zz", 2), MZMTP_SUBTRIE_NONE);
    mzmtp_subtrie_forget_peer(t, 1);
    assert_int_equal(mzmtp_subtrie_free_cells(t), before);
}

static void a_full_pool_refuses_a_topic_and_changes_nothing(void **state)
{
    enum { SMALL = 9 }; /* header, root, 7 cells */
    mzmtp_subtrie_init(t, SMALL);
    put("abcdefghijklmnopqrstuvwx", 0); /* 3 nodes + 1 chunk */
    unsigned left = mzmtp_subtrie_free_cells(t);
    assert_int_equal(left, 3);
    /* A 40-byte topic with nothing in common needs 4 nodes: refused, nothing changed. */
    const char *big = "ZYXWVUTSRQabcdefghijklmnopqrstuvwxyz0123";
    assert_int_equal(mzmtp_subtrie_insert(t, (const uint8_t *)big, strlen(big)), MZMTP_SUBTRIE_NONE);
    assert_int_equal(mzmtp_subtrie_free_cells(t), left);
    /* One that shares 24 bytes needs only 2 (and a split would take one more). */
    const char *more = "abcdefghijklmnopqrstuvwxyz0123456789ABCD";
    unsigned nm = mzmtp_subtrie_insert(t, (const uint8_t *)more, strlen(more));
    assert_int_not_equal(nm, MZMTP_SUBTRIE_NONE);
    assert_int_equal(mzmtp_subtrie_free_cells(t), left - 2);
    mzmtp_subtrie_prune(t, nm);
    assert_int_equal(mzmtp_subtrie_free_cells(t), left);
    /* A topic already there is still found when the pool is short. */
    assert_int_not_equal(mzmtp_subtrie_insert(t, (const uint8_t *)"abcdefghijklmnopqrstuvwx", 24),
                         MZMTP_SUBTRIE_NONE);
    unsigned n = put("q", 0);
    assert_int_equal(mzmtp_subtrie_free_cells(t), 1);
    (void)n;
}

static void a_full_pool_refuses_a_peer_chunk_and_keeps_the_set(void **state)
{
    TU_NEED_PEERS(400);
#if MZMTP_CONF_MAX_PEERS >= 400 /* (peer numbers below are out of a smaller set's bounds) */
    mzmtp_subtrie_init(t, 5); /* header, root, 3 cells */
    unsigned n = put("q", 0);
    /* A peer chunk with no cell left: refused, the set unchanged. */
    assert_true(mzmtp_subtrie_peer_add(t, n, 190)); /* the last cell */
    assert_false(mzmtp_subtrie_peer_add(t, n, 350));
    assert_false(mzmtp_subtrie_peer_has(t, n, 350));
    put("q", 1); /* a chunk it has already */
#endif
}

static void a_peer_set_is_sparse_across_many_peers(void **state)
{
    TU_NEED_PEERS(1000);
#if MZMTP_CONF_MAX_PEERS >= 1000
    mzmtp_subtrie_init(t, CELLS);
    unsigned before = mzmtp_subtrie_free_cells(t);
    unsigned n = put("t", 999);
    assert_int_equal(before - mzmtp_subtrie_free_cells(t), 2); /* one node, one chunk */
    put("t", 0);
    put("t", 500);
    put("t", 161);
    assert_int_equal(before - mzmtp_subtrie_free_cells(t), 5);
    mzmtp_peerset_t m = match("topic");
    assert_int_equal(mzmtp_peerset_count(&m), 4);
    assert_true(mzmtp_peerset_has(&m, 999) && mzmtp_peerset_has(&m, 0) &&
                mzmtp_peerset_has(&m, 500) && mzmtp_peerset_has(&m, 161));
    mzmtp_subtrie_peer_del(t, n, 500);
    assert_false(mzmtp_subtrie_peer_has(t, n, 500));
    assert_true(mzmtp_subtrie_peer_has(t, n, 999));
    assert_int_equal(before - mzmtp_subtrie_free_cells(t), 4);
#endif
}

static void count_matches_only_topics_with_a_count(void **state)
{
    mzmtp_subtrie_init(t, CELLS);
    unsigned n = mzmtp_subtrie_insert(t, (const uint8_t *)"ab", 2);
    assert_false(mzmtp_subtrie_match_count(t, (const uint8_t *)"abc", 3));
    t[n].node.count = 1;
    assert_true(mzmtp_subtrie_match_count(t, (const uint8_t *)"abc", 3));
    assert_false(mzmtp_subtrie_match_count(t, (const uint8_t *)"a", 1));
    /* A node kept by its count is not pruned; at zero it is. */
    mzmtp_subtrie_prune(t, n);
    assert_int_equal(mzmtp_subtrie_find(t, (const uint8_t *)"ab", 2), n);
    t[n].node.count = 0;
    mzmtp_subtrie_prune(t, n);
    assert_int_equal(mzmtp_subtrie_find(t, (const uint8_t *)"ab", 2), MZMTP_SUBTRIE_NONE);
}

static void the_queue_gives_nodes_back_in_the_order_they_were_queued(void **state)
{
    mzmtp_subtrie_init(t, CELLS);
    unsigned ab = put("ab", 0), a = put("a", 0), b = put("b", 0);
    assert_int_equal(mzmtp_subtrie_queue_head(t), MZMTP_SUBTRIE_NONE);
    mzmtp_subtrie_enqueue(t, ab);
    mzmtp_subtrie_enqueue(t, b);
    mzmtp_subtrie_enqueue(t, a);
    mzmtp_subtrie_enqueue(t, ab); /* queued already: stays where it is */
    assert_int_equal(mzmtp_subtrie_queue_head(t), ab);
    assert_int_equal(mzmtp_subtrie_queue_next(t, ab), b);
    assert_int_equal(mzmtp_subtrie_queue_next(t, b), a);
    assert_int_equal(mzmtp_subtrie_queue_next(t, a), MZMTP_SUBTRIE_NONE);
    /* A queued node is kept even when its value is gone; off the queue it is pruned. */
    mzmtp_subtrie_peer_del(t, ab, 0);
    mzmtp_subtrie_prune(t, ab);
    assert_int_equal(mzmtp_subtrie_find(t, (const uint8_t *)"ab", 2), ab);
    mzmtp_subtrie_dequeue(t);
    mzmtp_subtrie_prune(t, ab);
    assert_int_equal(mzmtp_subtrie_find(t, (const uint8_t *)"ab", 2), MZMTP_SUBTRIE_NONE);
    assert_int_equal(mzmtp_subtrie_queue_head(t), b);
    mzmtp_subtrie_dequeue(t);
    mzmtp_subtrie_dequeue(t);
    assert_int_equal(mzmtp_subtrie_queue_head(t), MZMTP_SUBTRIE_NONE);
    mzmtp_subtrie_enqueue(t, b); /* an emptied queue starts again */
    assert_int_equal(mzmtp_subtrie_queue_head(t), b);
}

/* ---- a random run against a model: topics over a 3-letter alphabet (many shared
 * prefixes and splits), peers over the build's slots ---- */
#define MODEL_TOPICS 48
typedef struct {
    uint8_t topic[30];
    size_t len;
    mzmtp_peerset_t peers;
} model_t;
static model_t model[MODEL_TOPICS];

static void check_against_model(tu_rng_t *r)
{
    /* Every model topic with peers is found with exactly them; the walk visits each
     * node once and every node with a value is a model topic. */
    for (unsigned i = 0; i < MODEL_TOPICS; i++) {
        unsigned n = mzmtp_subtrie_find(t, model[i].topic, model[i].len);
        if (mzmtp_peerset_empty(&model[i].peers)) {
            assert_true(n == MZMTP_SUBTRIE_NONE || mzmtp_subtrie_nobody(t, n));
            continue;
        }
        assert_int_not_equal(n, MZMTP_SUBTRIE_NONE);
        mzmtp_peerset_t got;
        mzmtp_peerset_clear(&got);
        mzmtp_subtrie_or_peers(t, n, &got);
        assert_memory_equal(&got, &model[i].peers, sizeof got);
    }
    unsigned nodes = 0;
    for (unsigned n = MZMTP_SUBTRIE_ROOT; n != MZMTP_SUBTRIE_NONE; n = mzmtp_subtrie_next(t, n)) {
        assert_true(++nodes < CELLS);
        if (mzmtp_subtrie_nobody(t, n)) continue;
        uint8_t buf[64];
        size_t len = mzmtp_subtrie_topic_len(t, n);
        assert_true(len <= sizeof buf);
        mzmtp_subtrie_topic(t, n, buf);
        assert_int_equal(mzmtp_subtrie_find(t, buf, len), n);
    }
    /* A random message matches the union of the model topics that prefix it. */
    uint8_t msg[40];
    size_t mlen = tu_rng_below(r, sizeof msg);
    for (size_t k = 0; k < mlen; k++) msg[k] = (uint8_t)('a' + tu_rng_below(r, 3));
    mzmtp_peerset_t want, got;
    mzmtp_peerset_clear(&want);
    for (unsigned i = 0; i < MODEL_TOPICS; i++) {
        if (model[i].len <= mlen && memcmp(model[i].topic, msg, model[i].len) == 0) {
            mzmtp_peerset_or(&want, &want, &model[i].peers);
        }
    }
    mzmtp_subtrie_match_peers(t, msg, mlen, &got);
    assert_memory_equal(&got, &want, sizeof got);
}

static void random_operations_agree_with_a_model(void **state)
{
    tu_rng_t r;
    tu_rng_seed(&r, 11);
    mzmtp_subtrie_init(t, CELLS);
    unsigned before = mzmtp_subtrie_free_cells(t);
    memset(model, 0, sizeof model);
    for (unsigned i = 0; i < MODEL_TOPICS; i++) {
        model[i].len = tu_rng_below(&r, sizeof model[i].topic + 1u);
        for (size_t k = 0; k < model[i].len; k++) model[i].topic[k] = (uint8_t)('a' + tu_rng_below(&r, 3));
        for (unsigned j = 0; j < i; j++) {
            if (model[j].len == model[i].len && memcmp(model[j].topic, model[i].topic, model[i].len) == 0) {
                model[i].len = 0; /* a duplicate: "" instead (its own duplicates are harmless) */
            }
        }
    }
    for (unsigned step = 0; step < 3000; step++) {
        unsigned i = tu_rng_below(&r, MODEL_TOPICS);
        unsigned p = tu_rng_below(&r, MZMTP_CONF_MAX_PEERS < 400 ? MZMTP_CONF_MAX_PEERS : 400);
        unsigned op = tu_rng_below(&r, 10);
        /* Duplicated "" entries: keep them equal by applying to every copy. */
        if (op < 6) {
            unsigned n = mzmtp_subtrie_insert(t, model[i].topic, model[i].len);
            assert_int_not_equal(n, MZMTP_SUBTRIE_NONE); /* the pool is big enough */
            assert_true(mzmtp_subtrie_peer_add(t, n, p));
            for (unsigned j = 0; j < MODEL_TOPICS; j++) {
                if (model[j].len == model[i].len && memcmp(model[j].topic, model[i].topic, model[i].len) == 0) {
                    mzmtp_peerset_add(&model[j].peers, p);
                }
            }
        } else if (op < 9) {
            unsigned n = mzmtp_subtrie_find(t, model[i].topic, model[i].len);
            if (n != MZMTP_SUBTRIE_NONE) {
                mzmtp_subtrie_peer_del(t, n, p);
                mzmtp_subtrie_prune(t, n);
            }
            for (unsigned j = 0; j < MODEL_TOPICS; j++) {
                if (model[j].len == model[i].len && memcmp(model[j].topic, model[i].topic, model[i].len) == 0) {
                    mzmtp_peerset_del(&model[j].peers, p);
                }
            }
        } else {
            mzmtp_subtrie_forget_peer(t, p);
            for (unsigned j = 0; j < MODEL_TOPICS; j++) mzmtp_peerset_del(&model[j].peers, p);
        }
        check_against_model(&r);
    }
    for (unsigned p = 0; p < MZMTP_CONF_MAX_PEERS && p < 400; p++) mzmtp_subtrie_forget_peer(t, p);
    assert_int_equal(mzmtp_subtrie_free_cells(t), before);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(empty_topic_matches_every_message),
        cmocka_unit_test(a_message_matches_the_topics_that_are_its_prefixes),
        cmocka_unit_test(splitting_a_node_keeps_the_values_of_both_halves),
        cmocka_unit_test(removing_every_subscription_gives_every_cell_back),
        cmocka_unit_test(forgetting_a_peer_drops_all_its_subscriptions),
        cmocka_unit_test(a_full_pool_refuses_a_topic_and_changes_nothing),
        cmocka_unit_test(a_full_pool_refuses_a_peer_chunk_and_keeps_the_set),
        cmocka_unit_test(a_peer_set_is_sparse_across_many_peers),
        cmocka_unit_test(count_matches_only_topics_with_a_count),
        cmocka_unit_test(the_queue_gives_nodes_back_in_the_order_they_were_queued),
        cmocka_unit_test(random_operations_agree_with_a_model),
    };
    (void)last_peer;
    return cmocka_run_group_tests(tests, NULL, NULL);
}

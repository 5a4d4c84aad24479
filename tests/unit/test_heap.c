/* test_heap.c -- the shared min-heap pops in (key, tie) order, grows, and reports empty. */
#include "testutil.h"

#include <errno.h>

#include "heap.h"
#include "rng.h"

static void heap_pops_in_key_order_with_ties_first_in_first_out(void **state)
{
	(void)state;
	struct heap h = {0};
	enum { N = 5000 };
	static int items[N];
	for (uint64_t i = 0; i < N; i++) {
		uint64_t key = rng_hash(9, 1, i) % 100; /* many equal keys */
		items[i] = (int)i;
		assert_int_equal(heap_push(&h, (struct heap_entry){key, i, &items[i]}), 0);
	}
	assert_int_equal(h.n, N);
	struct heap_entry prev = {0, 0, NULL}, e;
	for (size_t k = 0; k < N; k++) {
		assert_non_null(heap_peek(&h));
		uint64_t peek_key = heap_peek(&h)->key;
		assert_int_equal(heap_pop(&h, &e), 0);
		assert_int_equal(e.key, peek_key);
		if (k > 0) {
			assert_true(e.key >= prev.key);
			if (e.key == prev.key)
				assert_true(e.tie > prev.tie);
		}
		assert_int_equal(*(int *)e.item, (int)e.tie);
		prev = e;
	}
	assert_null(heap_peek(&h));
	assert_int_equal(heap_pop(&h, &e), -ENOENT);
	heap_free(&h);
}

static void heap_is_reusable_after_free_and_reserve_holds_room(void **state)
{
	(void)state;
	struct heap h = {0};
	assert_int_equal(heap_reserve(&h, 1000), 0);
	assert_true(h.cap >= 1000);
	struct heap_entry *storage = h.v;
	for (uint64_t i = 0; i < 1000; i++)
		assert_int_equal(heap_push(&h, (struct heap_entry){1000 - i, 0, NULL}), 0);
	assert_ptr_equal(h.v, storage); /* no reallocation within the reserved room */
	assert_int_equal(heap_peek(&h)->key, 1);
	heap_free(&h);
	assert_int_equal(h.n, 0);
	assert_null(heap_peek(&h));
	assert_int_equal(heap_push(&h, (struct heap_entry){7, 0, NULL}), 0);
	assert_int_equal(heap_pop(&h, NULL), 0);
	assert_int_equal(h.n, 0);
	heap_free(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(heap_pops_in_key_order_with_ties_first_in_first_out),
	        cmocka_unit_test(heap_is_reusable_after_free_and_reserve_holds_room),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

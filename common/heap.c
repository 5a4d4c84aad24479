/* heap.c -- binary min-heap over an array that doubles as it grows. */
#include "heap.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

static bool entry_before(const struct heap_entry *a, const struct heap_entry *b)
{
	if (a->key != b->key)
		return a->key < b->key;
	return a->tie < b->tie;
}

int heap_reserve(struct heap *h, size_t n)
{
	if (n <= h->cap)
		return 0;
	size_t cap = h->cap ? h->cap : 64;
	while (cap < n) {
		if (cap > SIZE_MAX / 2 / sizeof(*h->v))
			return -ENOMEM;
		cap *= 2;
	}
	struct heap_entry *v = realloc(h->v, cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	h->v = v;
	h->cap = cap;
	return 0;
}

int heap_push(struct heap *h, struct heap_entry e)
{
	if (h->n == h->cap && heap_reserve(h, h->n + 1) != 0)
		return -ENOMEM;
	size_t i = h->n++;
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!entry_before(&e, &h->v[parent]))
			break;
		h->v[i] = h->v[parent];
		i = parent;
	}
	h->v[i] = e;
	return 0;
}

const struct heap_entry *heap_peek(const struct heap *h)
{
	return h->n ? &h->v[0] : NULL;
}

/* puts last at hole i and moves it down to its place among h->v[0..h->n) */
static void sift_down(struct heap *h, size_t i, struct heap_entry last)
{
	for (;;) {
		size_t child = 2 * i + 1;
		if (child >= h->n)
			break;
		if (child + 1 < h->n && entry_before(&h->v[child + 1], &h->v[child]))
			child++;
		if (!entry_before(&h->v[child], &last))
			break;
		h->v[i] = h->v[child];
		i = child;
	}
	h->v[i] = last;
}

int heap_pop(struct heap *h, struct heap_entry *out)
{
	if (h->n == 0)
		return -ENOENT;
	if (out)
		*out = h->v[0];
	struct heap_entry last = h->v[--h->n];
	if (h->n)
		sift_down(h, 0, last);
	return 0;
}

void heap_heapify(struct heap *h)
{
	for (size_t i = h->n / 2; i-- > 0;)
		sift_down(h, i, h->v[i]);
}

void heap_free(struct heap *h)
{
	free(h->v);
	h->v = NULL;
	h->n = h->cap = 0;
}

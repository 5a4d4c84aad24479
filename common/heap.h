/* heap.h -- a binary min-heap of (key, tie, item) entries, the one priority queue latlab uses:
 * the server's timer (deadline, arrival order, connection), the client's ideal-time makespan
 * (when each worker is free) and the timeline's lane packing (when a row is free, row).
 *
 * Entries are ordered by key, then by tie: give each entry a distinct tie (an arrival number)
 * for FIFO order among equal keys. Plain data, not thread-safe: the caller serialises access.
 * Zero-initialise (struct heap h = {0}) before use; heap_free releases the storage. */
#ifndef LATLAB_HEAP_H
#define LATLAB_HEAP_H

#include <stddef.h>
#include <stdint.h>

struct heap_entry {
	uint64_t key;
	uint64_t tie;
	void *item;
};

struct heap {
	struct heap_entry *v;
	size_t n, cap;
};

/* Makes room for at least n entries in all, so that pushes up to n cannot fail.
 * 0, or -ENOMEM (the heap is unchanged). */
int heap_reserve(struct heap *h, size_t n);

/* Adds an entry; 0, or -ENOMEM (the heap is unchanged). */
int heap_push(struct heap *h, struct heap_entry e);

/* The least entry, or NULL when empty; valid until the next push or pop. */
const struct heap_entry *heap_peek(const struct heap *h);

/* Removes the least entry into *out (out may be NULL); 0, or -ENOENT when empty. */
int heap_pop(struct heap *h, struct heap_entry *out);

/* Restores the heap order after the caller changed keys of entries in h->v in place: O(n). */
void heap_heapify(struct heap *h);

/* Releases the storage and leaves an empty heap, which may be used again. */
void heap_free(struct heap *h);

#endif

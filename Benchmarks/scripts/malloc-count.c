// Counts the calls to malloc, calloc, realloc and the aligned allocators of a process it is preloaded into
// (LD_PRELOAD, glibc), and writes the count to standard error as `MALLOCS N` on SIGUSR2. Used by allocations.sh.
#define _GNU_SOURCE
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <unistd.h>
#include <string.h>
static atomic_long count;
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
void *malloc(size_t n) { atomic_fetch_add_explicit(&count, 1, memory_order_relaxed); return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { atomic_fetch_add_explicit(&count, 1, memory_order_relaxed); return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { atomic_fetch_add_explicit(&count, 1, memory_order_relaxed); return __libc_realloc(p, n); }
int posix_memalign(void **p, size_t a, size_t n) { atomic_fetch_add_explicit(&count, 1, memory_order_relaxed); *p = __libc_memalign(a, n); return *p ? 0 : 12; }
void *aligned_alloc(size_t a, size_t n) { atomic_fetch_add_explicit(&count, 1, memory_order_relaxed); return __libc_memalign(a, n); }
void *memalign(size_t a, size_t n) { atomic_fetch_add_explicit(&count, 1, memory_order_relaxed); return __libc_memalign(a, n); }
static void dump(int s) { char b[64]; int l = snprintf(b, sizeof b, "MALLOCS %ld\n", atomic_load(&count)); write(2, b, l); }
__attribute__((constructor)) static void init(void) { signal(SIGUSR2, dump); }

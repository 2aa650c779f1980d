// glibc's allocator statistics and trimming (<malloc.h>, which Glibc's Swift module does not carry), as two plain
// functions so Swift never reads a C struct's members. Elsewhere both do nothing.
#ifndef SWITCHBOARD_CMALLOC_SHIM_H
#define SWITCHBOARD_CMALLOC_SHIM_H

#include <stdlib.h> // defines __GLIBC__ on glibc
#if defined(__GLIBC__)
#include <malloc.h>
#endif

/// Bytes the allocator holds free (mallinfo2's fordblks); 0 where that is not known.
static inline size_t cmalloc_free_bytes(void) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
    return mallinfo2().fordblks;
#else
    return 0;
#endif
}

/// Gives the free pages of every arena back to the system (malloc_trim(0)); 1 when memory was released.
static inline int cmalloc_trim(void) {
#if defined(__GLIBC__)
    return malloc_trim(0);
#else
    return 0;
#endif
}

#endif

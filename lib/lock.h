/*
 * lock.h — taking the locks that fork() holds (init.c's handlers).
 *
 * Other libraries' pthread_atfork handlers may allocate and free, as glibc's
 * malloc allows: it takes its own locks after every prepare handler.  glibc
 * runs prepare handlers newest first and parent and child handlers oldest
 * first, so those of a library registered before hakmem (one loaded with the
 * program registers in its constructor, before a preloaded hakmem's, and a
 * program linked with libhakmem.a runs its shared libraries' constructors
 * before its own) run while hakmem's prepare handler holds every lock: they
 * waited for them forever.  From that handler until its parent or child
 * handler, every other thread that wants one of these locks waits for it,
 * so the forking thread is the only one that touches what they guard and
 * takes none of them again.  Nothing here is on a fast path.
 */
#ifndef HK_LOCK_H
#define HK_LOCK_H

#include <pthread.h>

/* Set in the thread that forks while it holds every lock for fork (init.c). */
extern __thread int hk_tl_fork_holds __attribute__((tls_model("initial-exec"), visibility("hidden")));

static inline void hk_lock(pthread_mutex_t *m)
{
	if (!hk_tl_fork_holds)
		pthread_mutex_lock(m);
}

static inline void hk_unlock(pthread_mutex_t *m)
{
	if (!hk_tl_fork_holds)
		pthread_mutex_unlock(m);
}

/* 0 when m is taken (or held for fork), as pthread_mutex_trylock. */
static inline int hk_trylock(pthread_mutex_t *m)
{
	return hk_tl_fork_holds ? 0 : pthread_mutex_trylock(m);
}

#endif

/*
 * Freestanding runtime of the WebAssembly build of ropekit.c (see runtime.h): memory, and a thread
 * team for the OpenMP regions. Every instance (the main thread's and one per worker) shares this
 * module's linear memory, so the statics below are shared; per-thread state is indexed by thread id.
 *
 * Threads: a worker calls rk_worker(), which claims the next thread id and then sleeps on `job_gen`
 * (memory.atomic.wait32) until __kmpc_fork_call publishes a region. A region's team is the main thread
 * plus the workers ready at the fork (capped by rk_set_max_threads), so kernels work, single-threaded,
 * before any worker has started. Work is split exactly as the native OpenMP build splits it (static:
 * contiguous blocks; dynamic: a shared counter), and no kernel sums across threads, so results are
 * identical for any team size.
 */
#include "runtime.h"

#include <stdarg.h>

#define MAX_THREADS 64
#define SPINS 4096 /* polls before sleeping: short, the machine's cores are shared */

/* ------------------------------------------------------------------------------------------ */
/* Atomics                                                                                      */
/* ------------------------------------------------------------------------------------------ */

static int32_t load(int32_t *p) { return __atomic_load_n(p, __ATOMIC_SEQ_CST); }
static void store(int32_t *p, int32_t v) { __atomic_store_n(p, v, __ATOMIC_SEQ_CST); }
static int32_t add(int32_t *p, int32_t v) { return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST); }

/* Waits until *p != seen: polls, then sleeps on the address. */
static void wait_change(int32_t *p, int32_t seen) {
  for (int i = 0; i < SPINS; i++) {
    if (load(p) != seen) return;
  }
  while (load(p) == seen) __builtin_wasm_memory_atomic_wait32(p, seen, -1);
}

static void wake_all(int32_t *p) { __builtin_wasm_memory_atomic_notify(p, 0xffffffffu); }

/* ------------------------------------------------------------------------------------------ */
/* Memory: size classes 16·2^(k/2) (every other one ×1.5), free lists, grown with memory.grow     */
/* ------------------------------------------------------------------------------------------ */

#define HEADER 16 /* keeps blocks 16-aligned; holds the class */
#define CLASSES 60

extern unsigned char __heap_base;
static int32_t heap_lock;
static uintptr_t heap_top;
static void *free_list[CLASSES];

static size_t class_size(int k) { return (size_t)((k & 1) ? 24 : 16) << (k >> 1); }

static void lock(void) {
  while (__atomic_exchange_n(&heap_lock, 1, __ATOMIC_ACQUIRE)) {
    while (load(&heap_lock)) {
    }
  }
}
static void unlock(void) { __atomic_store_n(&heap_lock, 0, __ATOMIC_RELEASE); }

void *malloc(size_t bytes) {
  int k = 0;
  while (k < CLASSES && class_size(k) < bytes + HEADER) k++;
  if (k == CLASSES) return 0;
  lock();
  unsigned char *block = free_list[k];
  if (block) {
    free_list[k] = *(void **)(block + HEADER);
  } else {
    if (!heap_top) heap_top = ((uintptr_t)&__heap_base + 15) & ~(uintptr_t)15;
    uintptr_t end = heap_top + class_size(k), have = __builtin_wasm_memory_size(0) * 65536;
    if (end < heap_top || (end > have && __builtin_wasm_memory_grow(0, (end - have + 65535) / 65536) == (size_t)-1)) {
      unlock();
      return 0;
    }
    block = (unsigned char *)heap_top;
    heap_top = end;
  }
  unlock();
  *(int32_t *)block = k;
  return block + HEADER;
}

void free(void *p) {
  if (!p) return;
  unsigned char *block = (unsigned char *)p - HEADER;
  int k = *(int32_t *)block;
  lock();
  *(void **)p = free_list[k];
  free_list[k] = block;
  unlock();
}

void *calloc(size_t count, size_t size) {
  void *p = malloc(count * size);
  return p ? memset(p, 0, count * size) : 0;
}

/* With bulk memory these builtins are memory.copy / memory.fill, not calls back into these functions. */
#undef memcpy
#undef memset
void *memcpy(void *dst, const void *src, size_t n) {
  __builtin_memcpy(dst, src, n);
  return dst;
}
void *memset(void *dst, int c, size_t n) {
  __builtin_memset(dst, c, n);
  return dst;
}

/* For lib.ts: buffers the kernels read in place. */
void *rk_malloc(int32_t bytes) { return malloc((size_t)bytes); }
void rk_free(void *p) { free(p); }

/* ------------------------------------------------------------------------------------------ */
/* The thread team                                                                              */
/* ------------------------------------------------------------------------------------------ */

typedef void (*microtask_t)(int32_t *, int32_t *, ...);

static int32_t max_threads = MAX_THREADS, workers_ready;
static int32_t job_gen, job_pending, job_team = 1, job_argc;
static microtask_t job_fn;
static void **job_args;
static int32_t bar_count, bar_gen;
/* Dynamic loops: per-thread count of loops entered; the first thread into loop n sets it up. */
static int32_t loop_seq[MAX_THREADS], loop_claimed, loop_ready, loop_next, loop_ub, loop_chunk;

/* Caps the team (tests compare 1 and 2 threads); returns the number of threads a region uses now. */
int32_t rk_set_max_threads(int32_t n) {
  max_threads = n < 1 ? 1 : n > MAX_THREADS ? MAX_THREADS : n;
  return omp_get_max_threads();
}

int omp_get_max_threads(void) {
  int n = 1 + load(&workers_ready);
  return n < max_threads ? n : max_threads;
}

/* Workers started so far (lib.ts waits for them after spawning). */
int32_t rk_workers_ready(void) { return load(&workers_ready); }

/* Calls a region's outlined body as thread `tid`; its captured variables (all i32 on wasm32) are in a. */
static void invoke(microtask_t fn, int32_t tid, int32_t argc, void **a) {
  int32_t g = tid, b = tid;
  typedef void *P;
  switch (argc) {
  /* clang-format off */
  case 0: ((void (*)(int32_t *, int32_t *))fn)(&g, &b); break;
  case 1: ((void (*)(int32_t *, int32_t *, P))fn)(&g, &b, a[0]); break;
  case 2: ((void (*)(int32_t *, int32_t *, P, P))fn)(&g, &b, a[0], a[1]); break;
  case 3: ((void (*)(int32_t *, int32_t *, P, P, P))fn)(&g, &b, a[0], a[1], a[2]); break;
  case 4: ((void (*)(int32_t *, int32_t *, P, P, P, P))fn)(&g, &b, a[0], a[1], a[2], a[3]); break;
  case 5: ((void (*)(int32_t *, int32_t *, P, P, P, P, P))fn)(&g, &b, a[0], a[1], a[2], a[3], a[4]); break;
  case 6: ((void (*)(int32_t *, int32_t *, P, P, P, P, P, P))fn)(&g, &b, a[0], a[1], a[2], a[3], a[4], a[5]); break;
  case 7: ((void (*)(int32_t *, int32_t *, P, P, P, P, P, P, P))fn)(&g, &b, a[0], a[1], a[2], a[3], a[4], a[5], a[6]); break;
  case 8: ((void (*)(int32_t *, int32_t *, P, P, P, P, P, P, P, P))fn)(&g, &b, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]); break;
  case 9: ((void (*)(int32_t *, int32_t *, P, P, P, P, P, P, P, P, P))fn)(&g, &b, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8]); break;
  case 10: ((void (*)(int32_t *, int32_t *, P, P, P, P, P, P, P, P, P, P))fn)(&g, &b, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9]); break;
  case 11: ((void (*)(int32_t *, int32_t *, P, P, P, P, P, P, P, P, P, P, P))fn)(&g, &b, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10]); break;
  case 12: ((void (*)(int32_t *, int32_t *, P, P, P, P, P, P, P, P, P, P, P, P))fn)(&g, &b, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11]); break;
  case 13: ((void (*)(int32_t *, int32_t *, P, P, P, P, P, P, P, P, P, P, P, P, P))fn)(&g, &b, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12]); break;
  case 14: ((void (*)(int32_t *, int32_t *, P, P, P, P, P, P, P, P, P, P, P, P, P, P))fn)(&g, &b, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13]); break;
  case 15: ((void (*)(int32_t *, int32_t *, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P))fn)(&g, &b, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13], a[14]); break;
  case 16: ((void (*)(int32_t *, int32_t *, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P))fn)(&g, &b, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13], a[14], a[15]); break;
  case 17: ((void (*)(int32_t *, int32_t *, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P))fn)(&g, &b, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13], a[14], a[15], a[16]); break;
  case 18: ((void (*)(int32_t *, int32_t *, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P))fn)(&g, &b, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13], a[14], a[15], a[16], a[17]); break;
  case 19: ((void (*)(int32_t *, int32_t *, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P))fn)(&g, &b, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13], a[14], a[15], a[16], a[17], a[18]); break;
  case 20: ((void (*)(int32_t *, int32_t *, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P))fn)(&g, &b, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13], a[14], a[15], a[16], a[17], a[18], a[19]); break;
  case 21: ((void (*)(int32_t *, int32_t *, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P))fn)(&g, &b, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13], a[14], a[15], a[16], a[17], a[18], a[19], a[20]); break;
  case 22: ((void (*)(int32_t *, int32_t *, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P))fn)(&g, &b, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13], a[14], a[15], a[16], a[17], a[18], a[19], a[20], a[21]); break;
  case 23: ((void (*)(int32_t *, int32_t *, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P))fn)(&g, &b, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13], a[14], a[15], a[16], a[17], a[18], a[19], a[20], a[21], a[22]); break;
  case 24: ((void (*)(int32_t *, int32_t *, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P))fn)(&g, &b, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13], a[14], a[15], a[16], a[17], a[18], a[19], a[20], a[21], a[22], a[23]); break;
  /* clang-format on */
  default: __builtin_trap(); /* a region capturing more than 24 variables: add cases */
  }
}

/* A worker's body: claim a thread id, then run every region this id is part of, forever. */
void rk_worker(void) {
  int32_t seen = load(&job_gen); /* read before becoming visible: a region forked earlier is not ours */
  int32_t tid = add(&workers_ready, 1) + 1;
  for (;;) {
    wait_change(&job_gen, seen);
    seen = load(&job_gen);
    if (tid < job_team) {
      invoke(job_fn, tid, job_argc, job_args);
      if (add(&job_pending, -1) == 1) wake_all(&job_pending);
    }
  }
}

/* `#pragma omp parallel`: runs fn on the team (the calling thread is thread 0) and waits for it. */
void __kmpc_fork_call(void *loc, int32_t argc, microtask_t fn, ...) {
  (void)loc;
  void *args[24];
  va_list ap;
  va_start(ap, fn);
  for (int i = 0; i < argc && i < 24; i++) args[i] = va_arg(ap, void *);
  va_end(ap);
  for (int i = 0; i < MAX_THREADS; i++) loop_seq[i] = 0;
  loop_claimed = loop_ready = 0;
  int32_t team = load(&job_pending) == 0 && job_team == 1 ? omp_get_max_threads() : 1; /* nested: serial */
  if (team == 1) {
    int32_t outer = job_team;
    job_team = 1;
    invoke(fn, 0, argc, args);
    job_team = outer;
    return;
  }
  job_fn = fn, job_argc = argc, job_args = args, job_team = team;
  bar_count = 0;
  store(&job_pending, team - 1);
  add(&job_gen, 1);
  wake_all(&job_gen);
  invoke(fn, 0, argc, args);
  for (int32_t left; (left = load(&job_pending)) != 0;) wait_change(&job_pending, left);
  job_team = 1;
}

int32_t __kmpc_global_thread_num(void *loc) {
  (void)loc;
  return 0; /* only called outside regions, i.e. on the main thread */
}

void __kmpc_serialized_parallel(void *loc, int32_t gtid) { (void)loc, (void)gtid; }
void __kmpc_end_serialized_parallel(void *loc, int32_t gtid) { (void)loc, (void)gtid; }

void __kmpc_barrier(void *loc, int32_t gtid) {
  (void)loc, (void)gtid;
  if (job_team == 1) return;
  int32_t gen = load(&bar_gen);
  if (add(&bar_count, 1) == job_team - 1) {
    store(&bar_count, 0);
    add(&bar_gen, 1);
    wake_all(&bar_gen);
  } else {
    wait_change(&bar_gen, gen);
  }
}

/* schedule(static): thread t gets the t-th of `team` contiguous, near-equal blocks (as libgomp does). */
#define STATIC_INIT(name, T)                                                                                 \
  void name(void *loc, int32_t gtid, int32_t sched, int32_t *plast, T *plower, T *pupper, T *pstride, T incr, \
            T chunk) {                                                                                       \
    (void)loc, (void)sched, (void)chunk;                                                                     \
    T trips = (*pupper - *plower) / incr + 1, team = job_team, q = trips / team, r = trips % team;            \
    T first = gtid * q + (gtid < r ? gtid : r), count = q + (gtid < r);                                      \
    T lower = *plower + first * incr;                                                                        \
    *plast = first + count == trips;                                                                         \
    *pstride = trips * incr;                                                                                 \
    *plower = lower;                                                                                         \
    *pupper = lower + (count - 1) * incr; /* count 0: upper < lower, an empty range */                      \
  }
STATIC_INIT(__kmpc_for_static_init_4, int32_t)
STATIC_INIT(__kmpc_for_static_init_4u, uint32_t)
STATIC_INIT(__kmpc_for_static_init_8, int64_t)
void __kmpc_for_static_fini(void *loc, int32_t gtid) { (void)loc, (void)gtid; }
void __kmpc_dispatch_deinit(void *loc, int32_t gtid) { (void)loc, (void)gtid; }

/* schedule(dynamic, chunk): the first thread to reach loop n of the region resets the shared counter. */
void __kmpc_dispatch_init_4(void *loc, int32_t gtid, int32_t sched, int32_t lb, int32_t ub, int32_t st,
                            int32_t chunk) {
  (void)loc, (void)sched, (void)st; /* ropekit's dynamic loops all step by 1 */
  int32_t seq = ++loop_seq[gtid], expected = seq - 1;
  if (__atomic_compare_exchange_n(&loop_claimed, &expected, seq, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
    loop_next = lb, loop_ub = ub, loop_chunk = chunk < 1 ? 1 : chunk;
    store(&loop_ready, seq);
  } else {
    while (load(&loop_ready) != seq) {
    }
  }
}

int32_t __kmpc_dispatch_next_4(void *loc, int32_t gtid, int32_t *plast, int32_t *plower, int32_t *pupper,
                               int32_t *pstride) {
  (void)loc, (void)gtid;
  int32_t lo = add(&loop_next, loop_chunk);
  if (lo > loop_ub) return 0;
  int32_t hi = lo + loop_chunk - 1 < loop_ub ? lo + loop_chunk - 1 : loop_ub;
  *plower = lo, *pupper = hi, *pstride = loop_chunk, *plast = hi == loop_ub;
  return 1;
}

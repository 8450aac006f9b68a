/*
 * What ropekit.c needs from libc and OpenMP when it is compiled to WebAssembly (freestanding: no
 * wasi-libc). runtime.c implements it: a locked size-class allocator over the shared linear memory,
 * and the few libomp entry points clang emits for `omp parallel` / `omp for`, run by a pool of Deno
 * workers that share the memory (kernels/wasm/lib.ts starts them).
 */
#ifndef RK_WASM_RUNTIME_H
#define RK_WASM_RUNTIME_H
#include <stddef.h>
#include <stdint.h>

void *malloc(size_t bytes);
void *calloc(size_t count, size_t size);
void free(void *p);
void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
/* -ffreestanding turns builtins off: as builtins a 4-byte memcpy (rk_exp's bit cast) is a register move
 * that vectorises, and long copies become memory.copy / memory.fill. */
#define memcpy __builtin_memcpy
#define memset __builtin_memset

/* f32.floor and f64.sqrt are single instructions; log (two calls per row of logits) is the host's Math.log. */
#define floorf __builtin_floorf
#define sqrt __builtin_sqrt
double rk_host_log(double x) __attribute__((import_module("env"), import_name("log")));
#define log rk_host_log
#define INFINITY __builtin_inff()

int omp_get_max_threads(void);
#endif

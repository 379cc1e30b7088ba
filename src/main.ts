#!/usr/bin/env -S MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=131072 node --max-semi-space-size=2 --heap-growing-percent=50
/**
 * Berth's entry point (the `berth` bin and `npm start`): hands the arguments to the CLI.
 * The first line keeps the hub and proxy within their memory budget (the benchmark measures
 * it): V8's young generation small and its old generation growing by half its live size
 * between collections, rather than up to four times under load; glibc with two arenas and
 * a fixed mmap threshold, so that scrypt's 16 MiB buffers go back to the system after each
 * sign-in instead of staying in the heap.
 */
import { main } from './cli/main';

void main(process.argv.slice(2));

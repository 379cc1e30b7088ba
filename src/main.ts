#!/usr/bin/env -S MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=131072 node --max-semi-space-size=4 --heap-growing-percent=50
/**
 * Berth's entry point (the `berth` bin and `npm start`): hands the arguments to the CLI.
 * The first line keeps the hub and proxy fast and within their memory budget (the benchmark
 * measures both):
 * - V8's semi-spaces at 4 MiB. At 2 MiB, requests still in flight outlived each scavenge and
 *   were promoted, so under load the old generation was collected every 300 ms (users page p95
 *   22 ms); at 8 MiB the process stays above its budget after load.
 * - The old generation grows by half its live size between collections, not up to four times.
 * - glibc with two arenas and a fixed mmap threshold, so that scrypt's 16 MiB buffers go back
 *   to the system after each sign-in instead of staying in the heap.
 */
import { main } from './cli/main';

void main(process.argv.slice(2));

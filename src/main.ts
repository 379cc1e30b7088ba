#!/usr/bin/env node
/**
 * Berth's entry point: hands the arguments to the CLI. People run it through `src/cli/berth` (the
 * `berth` bin, `npm start`), which sets the Node and glibc settings of each command.
 */
import { main } from './cli/main';

void main(process.argv.slice(2));

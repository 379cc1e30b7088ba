#!/usr/bin/env node
/**
 * Berth's entry point (the `berth` bin and `npm start`): hands the arguments to the CLI.
 */
import { main } from './cli/main';

void main(process.argv.slice(2));

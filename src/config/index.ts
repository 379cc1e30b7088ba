/**
 * Berth's configuration: every setting declared once (settings.ts), the kinds of value they
 * take (values.ts), and where they come from (env-file.ts). The rest of Berth imports from here.
 */
export { envExample, environment, parseEnvFile } from './env-file';
export { type Config, configProblems, loadConfig, SETTINGS } from './settings';
export { servesTls } from './tls';
export { ConfigError, type ImageLimitOverrides, parseBytes } from './values';

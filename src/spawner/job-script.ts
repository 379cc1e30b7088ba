/**
 * What a job's container runs: Python, with Jupyter's own executor (nbclient, which nbconvert
 * uses), in any catalogue image. It reads the notebook from the home, puts the parameters in a
 * cell after the one tagged `parameters` (papermill's convention; first when none is tagged),
 * executes it (logging each cell as it starts, and what it prints), writes the executed notebook
 * (outputs up to a failure included) and ends with one
 * line `BERTH_JOB_RESULT {json}`: ok, or the failing cell and its error. The check script only
 * looks at the notebook, before a job is queued.
 */

import type { JobExit } from './spawner';

/** The marker of the result line a job's container prints last. */
export const RESULT_MARKER = 'BERTH_JOB_RESULT ';
/** A finished job's log is kept up to this many bytes (its end, where the error is). */
export const LOG_LIMIT = 256 * 1024;

export function tail(text: string, bytes: number): string {
  return text.length > bytes ? text.slice(-bytes) : text;
}

/** The script's result line; a line a notebook printed to look like one may not parse. */
function parseResult(text: string): { ok: boolean; error?: string | null; oom?: boolean } | undefined {
  try {
    return JSON.parse(text) as { ok: boolean; error?: string | null; oom?: boolean };
  } catch {
    return undefined;
  }
}

/**
 * How a job ended, from its log's last result line and its exit code. A memory limit kills the
 * kernel rather than the job's own process: the script says so (`oom`), as the engine may not.
 */
export function jobExit(log: string, exitCode: number, oomKilled: boolean): JobExit {
  const line = log
    .split('\n')
    .reverse()
    .find((l) => l.startsWith(RESULT_MARKER));
  const result = line ? parseResult(line.slice(RESULT_MARKER.length)) : undefined;
  const ok = result?.ok === true && exitCode === 0;
  return {
    ok,
    error: ok ? undefined : (result?.error ?? undefined),
    oom: oomKilled || result?.oom === true,
    log: tail(log, LOG_LIMIT),
  };
}

const COMMON = `
import json, os, sys
HOME = '/home/jovyan'
def result(**r):
    print('${RESULT_MARKER}' + json.dumps(r), flush=True)
def inside(rel):
    path = os.path.realpath(os.path.join(HOME, rel))
    return path if path.startswith(HOME + '/') else None
def load(rel):
    import nbformat
    path = inside(rel)
    if path is None:
        return None, f'{rel} is outside your home (a link out of it, say)'
    if not os.path.isfile(path):
        return None, f'there is no file {rel} in your home'
    try:
        return nbformat.read(path, as_version=4), None
    except Exception as e:
        return None, f'{rel} is not a notebook ({type(e).__name__})'
`;

/** Exit 0 and {ok: true} when the notebook is there and readable, else {ok: false, error}. */
export const CHECK_SCRIPT = `${COMMON}
nb, problem = load(os.environ['BERTH_JOB_NOTEBOOK'])
result(ok=problem is None, error=problem)
`;

export const RUN_SCRIPT = `${COMMON}
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
notebook, output = os.environ['BERTH_JOB_NOTEBOOK'], os.environ['BERTH_JOB_OUTPUT']
nb, problem = load(notebook)
target = inside(output)
if target is None:
    problem = f'{output} would be outside your home'
if problem:
    result(ok=False, error=problem)
    sys.exit(2)
params = json.loads(os.environ.get('BERTH_JOB_PARAMETERS') or '{}')
if params:
    cell = nbformat.v4.new_code_cell('# Parameters, from the job\\n' + '\\n'.join(f'{k} = {v!r}' for k, v in params.items()))
    cell.metadata['tags'] = ['injected-parameters']
    tagged = [i for i, c in enumerate(nb.cells) if 'parameters' in c.get('metadata', {}).get('tags', [])]
    nb.cells.insert(tagged[0] + 1 if tagged else 0, cell)
print(f'running {notebook}', flush=True)
def started(cell, cell_index, **_):
    print(f'[cell {cell_index + 1}] ' + (cell.source.splitlines() or [''])[0][:80], flush=True)
def executed(cell, cell_index, **_):
    for o in cell.get('outputs', []):
        if o.get('output_type') == 'stream':
            sys.stdout.write(o.get('text', ''))
    sys.stdout.flush()
def oom_kills():
    for path, key in (('/sys/fs/cgroup/memory.events', 'oom_kill'), ('/sys/fs/cgroup/memory/memory.oom_control', 'oom_kill')):
        try:
            for line in open(path):
                if line.startswith(key + ' '):
                    return int(line.split()[1])
        except OSError:
            pass
    return 0
failed = False
died = None
try:
    NotebookClient(nb, timeout=None, on_cell_start=started, on_cell_executed=executed,
                   resources={'metadata': {'path': os.path.dirname(inside(notebook))}}).execute()
except CellExecutionError:
    failed = True
except Exception as e:
    died = e
finally:
    nbformat.write(nb, target)
    print(f'wrote {output}', flush=True)
if died is not None:
    if oom_kills() > 0:
        result(ok=False, oom=True, error='the kernel was killed by the memory limit')
    else:
        result(ok=False, error=f'the kernel stopped: {type(died).__name__}: {str(died)[:200]}')
    sys.exit(1)
if failed:
    for i, c in enumerate(nb.cells):
        for o in c.get('outputs', []):
            if o.get('output_type') == 'error':
                first = (c.source.splitlines() or [''])[0][:80]
                result(ok=False, cell=i + 1, error=f"cell {i + 1} ({first}): {o.get('ename')}: {o.get('evalue')}")
                sys.exit(1)
    result(ok=False, error='a cell failed')
    sys.exit(1)
result(ok=True)
`;

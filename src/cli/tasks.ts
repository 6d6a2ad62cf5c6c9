import type { ListrTask } from 'listr2';
import type { Stage } from '../engine/fix/types.js';

export type Task = ListrTask<object>;

export interface ProgressOptions {
  /** No progress output at all (`--format json`). */
  readonly silent: boolean;
  /** Where progress goes (the command's stderr). */
  readonly stderr: NodeJS.WriteStream;
}

/**
 * Run listr2 tasks with progress on stderr (stdout stays for the result): the live renderer on a terminal, the
 * plain line renderer otherwise. listr2 is imported here, on first use, not at start-up.
 */
export async function runTasks(tasks: Task[], opts: ProgressOptions): Promise<void> {
  const { Listr, ListrLogger, ProcessOutput } = await import('listr2');
  const logger = new ListrLogger({ processOutput: new ProcessOutput(opts.stderr, opts.stderr) });
  await new Listr<object, 'default', 'simple'>(tasks, {
    renderer: 'default',
    rendererOptions: { logger, collapseSubtasks: false, showErrorMessage: false },
    fallbackRenderer: 'simple',
    fallbackRendererOptions: { logger },
    fallbackRendererCondition: !opts.stderr.isTTY,
    silentRendererCondition: opts.silent,
    registerSignalListeners: false,
    exitOnError: true,
  }).run();
}

function toTask(stage: Stage): Task {
  const { steps, run } = stage;
  return {
    title: stage.title,
    task: steps ? (_, task) => task.newListr(steps().map(toTask), { concurrent: false }) : async (_, task) => run?.(task),
  };
}

/** The engine's stages as listr2 tasks (steps as subtasks), with progress on stderr. */
export function runStages(stages: readonly Stage[], opts: ProgressOptions): Promise<void> {
  return runTasks(stages.map(toTask), opts);
}

/**
 * Go to definition: the model named under the cursor (in any code cell) → the cell or file that
 * declares it. Command `interlace:go-to-definition`, on Ctrl/Cmd+Alt+B, the cell context menu
 * and Alt+click.
 */
import type { JupyterFrontEnd } from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';
import type { INotebookTracker } from '@jupyterlab/notebook';
import type { LinkRegistry } from './link';
import { openOrigin } from './origin';

export const COMMAND = 'interlace:go-to-definition';

/** The word (a name) around `offset` in `text`, or ''. */
export function wordAt(text: string, offset: number): string {
  const left = /[\w$]*$/.exec(text.slice(0, offset))?.[0] ?? '';
  const right = /^[\w$]*/.exec(text.slice(offset))?.[0] ?? '';
  return left + right;
}

export function addGoToDefinition(
  app: JupyterFrontEnd,
  tracker: INotebookTracker,
  links: LinkRegistry
): void {
  const go = async (offset?: number) => {
    const panel = tracker.currentWidget;
    const editor = panel?.content.activeCell?.editor;
    if (!panel || !editor) {
      return;
    }
    const at = offset ?? editor.getOffsetAt(editor.getCursorPosition());
    const name = wordAt(editor.model.sharedModel.getSource(), at);
    const link = links.get(panel.sessionContext.session?.kernel);
    const model = name ? link?.model(name) : undefined;
    const why = !name
      ? 'put the cursor on a model name first'
      : !model
        ? `'${name}' is not a model of this notebook's session (the sidebar lists them)`
        : await openOrigin(app, panel, model);
    if (why) {
      Notification.warning(`interlace: go to definition: ${why}`, { autoClose: 5000 });
    }
  };
  app.commands.addCommand(COMMAND, {
    label: 'Go to Model Definition',
    caption: 'Jump to the cell or file that declares the model under the cursor',
    execute: () => go()
  });
  app.commands.addKeyBinding({
    command: COMMAND,
    keys: ['Accel Alt B'],
    selector: '.jp-Notebook.jp-mod-editMode'
  });
  app.contextMenu.addItem({ command: COMMAND, selector: '.jp-Notebook .jp-CodeCell', rank: 20 });
  const onClick = (event: MouseEvent) => {
    const editor = tracker.currentWidget?.content.activeCell?.editor;
    if (!event.altKey || !editor) {
      return;
    }
    const position = editor.getPositionForCoordinate({
      left: event.clientX,
      top: event.clientY
    } as any);
    if (position) {
      event.preventDefault();
      void go(editor.getOffsetAt(position));
    }
  };
  tracker.widgetAdded.connect((_, panel) => panel.content.node.addEventListener('click', onClick));
}

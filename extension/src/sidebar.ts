/**
 * The models sidebar: the current notebook's session models with their live status (the run
 * events the DAG widget follows), kind and materialization, last build, and buttons to run it,
 * run it with its upstream (`+name`), show its rows, show its lineage and open its origin.
 */
import type { JupyterFrontEnd } from '@jupyterlab/application';
import { MainAreaWidget, Notification } from '@jupyterlab/apputils';
import type { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { OutputArea, OutputAreaModel } from '@jupyterlab/outputarea';
import { LabIcon } from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';
import type { IModelInfo, KernelLink, LinkRegistry } from './link';
import { openOrigin } from './origin';

const ICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" width="16" viewBox="0 0 24 24">' +
  '<g class="jp-icon3" fill="#616161"><circle cx="5" cy="6" r="3"/><circle cx="19" cy="6" r="3"/>' +
  '<circle cx="12" cy="18" r="3"/><path d="M6.5 8.2 11 15.5l1.6-1L8.2 7.2zM17.5 8.2 13 15.5l-1.6-1 4.4-7.3z"/>' +
  '</g></svg>';
export const interlaceIcon = new LabIcon({ name: 'interlace:models', svgstr: ICON_SVG });

type Action = { label: string; title: string; css: string; run: (m: IModelInfo) => Promise<void> };

export class ModelsSidebar extends Widget {
  constructor(
    private _app: JupyterFrontEnd,
    private _tracker: INotebookTracker,
    private _links: LinkRegistry
  ) {
    super();
    this.id = 'interlace-models';
    this.addClass('interlace-sidebar');
    this.title.icon = interlaceIcon;
    this.title.caption = 'interlace models';
    _tracker.currentChanged.connect(() => this._follow());
    this._follow();
  }

  private get _panel(): NotebookPanel | null {
    return this._tracker.currentWidget;
  }

  private _follow(): void {
    const panel = this._panel;
    panel?.sessionContext.kernelChanged.connect(() => this._follow());
    void panel?.sessionContext.ready.then(() => this._connect());
    this._connect();
  }

  private _connect(): void {
    const link = this._links.get(this._panel?.sessionContext.session?.kernel);
    if (link !== this._link) {
      this._link?.changed.disconnect(this._render, this);
      this._link = link;
      link?.changed.connect(this._render, this);
    }
    this._render();
  }

  private _actions: Action[] = [
    { label: '▶', title: 'run', css: 'run', run: m => this._run(m.name) },
    { label: '+▶', title: 'run with upstream', css: 'run-upstream', run: m => this._run('+' + m.name) },
    { label: 'show', title: 'show rows', css: 'show', run: m => this._output(`%interlace show ${m.name}`) },
    { label: 'lineage', title: 'column lineage', css: 'lineage', run: m => this._output(`%interlace lineage ${m.name}`) },
    { label: '↗', title: 'open origin', css: 'origin', run: m => this._origin(m) }
  ];

  private _render(): void {
    const node = this.node;
    node.replaceChildren();
    const header = document.createElement('div');
    header.className = 'interlace-sidebar-header';
    header.textContent = 'interlace models';
    node.appendChild(header);
    const models = this._link?.models ?? [];
    if (!models.length) {
      const empty = document.createElement('p');
      empty.className = 'interlace-sidebar-empty';
      empty.textContent = this._panel
        ? 'No models in this notebook\'s session yet: run %load_ext interlace and declare one.'
        : 'Open a notebook to see its session\'s models.';
      node.appendChild(empty);
      return;
    }
    const list = document.createElement('ul');
    list.className = 'interlace-sidebar-list';
    for (const model of models) {
      list.appendChild(this._row(model));
    }
    node.appendChild(list);
  }

  private _row(model: IModelInfo): HTMLElement {
    const row = document.createElement('li');
    row.className = 'interlace-sidebar-model';
    row.dataset.model = model.name;
    row.dataset.status = model.status;
    const title = document.createElement('div');
    title.className = 'interlace-sidebar-title';
    const dot = document.createElement('span');
    dot.className = 'interlace-sidebar-status';
    dot.title = model.status;
    const name = document.createElement('span');
    name.className = 'interlace-sidebar-name';
    name.textContent = model.name;
    const status = document.createElement('span');
    status.className = 'interlace-sidebar-status-text';
    status.textContent = model.status;
    title.append(dot, name, status);
    const meta = document.createElement('div');
    meta.className = 'interlace-sidebar-meta';
    const built = model.last_build ? new Date(model.last_build).toLocaleString() : 'never built';
    meta.textContent = `${model.kind} · ${model.materialize} · ${built}`;
    meta.title = `${model.origin}${model.description ? '\n' + model.description : ''}`;
    const buttons = document.createElement('div');
    buttons.className = 'interlace-sidebar-buttons';
    for (const action of this._actions) {
      const button = document.createElement('button');
      button.className = `jp-Button interlace-sidebar-${action.css}`;
      button.textContent = action.label;
      button.title = `${action.title} ${model.name}`;
      button.onclick = () =>
        action.run(model).catch((error: Error) =>
          Notification.error(`interlace: ${action.title} ${model.name}: ${error.message}`, {
            autoClose: 8000
          })
        );
      buttons.appendChild(button);
    }
    row.append(title, meta, buttons);
    return row;
  }

  private async _run(select: string): Promise<void> {
    if (!this._link) {
      throw new Error('no kernel: open a notebook that ran %load_ext interlace');
    }
    await this._link.request('run', { select });
  }

  /** Run a magic in the notebook's kernel and show its output in a panel of its own. */
  private async _output(code: string): Promise<void> {
    const panel = this._panel;
    if (!panel) {
      throw new Error('no notebook is open');
    }
    const area = new OutputArea({
      model: new OutputAreaModel({ trusted: true }), // the page ran it: widgets render, not fallbacks
      rendermime: panel.content.rendermime
    });
    const widget = new MainAreaWidget({ content: area });
    widget.title.label = code.replace('%interlace ', 'interlace: ');
    widget.title.icon = interlaceIcon;
    widget.addClass('interlace-output');
    const last = this._lastOutput;
    const beside = last && last.isAttached ? { mode: 'tab-after' as const, ref: last.id } : null;
    this._app.shell.add(widget, 'main', beside ?? { mode: 'split-right', ref: panel.id });
    this._lastOutput = widget;
    await OutputArea.execute(code, area, panel.sessionContext);
  }

  private async _origin(model: IModelInfo): Promise<void> {
    const panel = this._panel;
    if (!panel) {
      throw new Error('no notebook is open');
    }
    const why = await openOrigin(this._app, panel, model);
    if (why) {
      throw new Error(why);
    }
  }

  private _link: KernelLink | null = null;
  private _lastOutput: Widget | null = null;
}
